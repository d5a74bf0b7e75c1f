import { createHmac } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dingtalkBotSign, feishuBotSign } from "../../../lib/chat/outbound/notify";
import { type ChatStandIn, startChatStandIn } from "../../../lib/chat/outbound/stand-in";

/*
 * Known answers. Neither platform's doc page publishes a worked output, only the algorithm and
 * sample code; the vectors below come from independent third-party test suites and are also
 * recomputed here step by step with node:crypto, so a wrong vector and a wrong implementation
 * would both have to agree with the spelled-out algorithm to pass.
 *
 * Feishu: ts 1599360473, secret "demo" → "l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=" — asserted
 *   by two unrelated public repositories' unit tests (a Feishu pusher's and a notifier's "official
 *   HMAC format" test); 1599360473 is the sample timestamp many Feishu examples carry.
 * DingTalk: ts 1700000000000, secret "secret" → "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
 *   (URL-encoded) — the `creates_expected_signature` test of the `dingding` crate 0.1.1
 *   (docs.rs/crate/dingding/0.1.1/source/src/signature.rs).
 */
describe("custom-bot signatures: known answers", () => {
  it("signs a Feishu bot message as base64(HMAC-SHA256(key = ts\\nsecret, message = empty))", () => {
    const timestamp = 1599360473;
    const secret = "demo";
    // Step by step: the key is "1599360473\ndemo", the message is zero bytes.
    const key = Buffer.from(`${timestamp}\n${secret}`, "utf8");
    const independent = createHmac("sha256", key).update(Buffer.alloc(0)).digest("base64");

    const sign = feishuBotSign(timestamp, secret);

    expect(independent).toBe("l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
    expect(sign).toBe("l1N0gAcBjdwBvGm1xMjOF0XSyaLRpR7tuO5dHfhAYc8=");
    expect(feishuBotSign("1599360473", secret)).toBe(sign);
  });

  it("signs a DingTalk bot URL as urlencode(base64(HMAC-SHA256(key = secret, message = ts\\nsecret)))", () => {
    const timestamp = "1700000000000";
    const secret = "secret";
    const independent = createHmac("sha256", Buffer.from(secret, "utf8"))
      .update(Buffer.from(`${timestamp}\n${secret}`, "utf8"))
      .digest("base64");

    const sign = dingtalkBotSign(timestamp, secret);
    const onTheUrl = new URLSearchParams({ sign }).toString();

    expect(independent).toBe("OuzzJR5+xZ4/EYwqtNt6sMYZQMTa/HEGvc9miJe7XzY=");
    expect(sign).toBe(independent);
    expect(onTheUrl).toBe("sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D");
    expect(encodeURIComponent(sign)).toBe("OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D");
  });

  it("keeps the two mirror-image schemes apart", () => {
    expect(feishuBotSign("1700000000000", "secret")).not.toBe(dingtalkBotSign("1700000000000", "secret"));
  });
});

describe("the stand-in checks bot signatures as the platforms do", () => {
  const nowMs = Date.parse("2026-03-02T06:00:00Z");
  let standIn: ChatStandIn;
  let feishuUrl: string;
  let dingtalkUrl: string;
  const secret = "SEC-test-secret-0123456789";

  beforeAll(async () => {
    standIn = await startChatStandIn({ now: () => new Date(nowMs) });
    feishuUrl = standIn.addBot("feishu", { secret });
    dingtalkUrl = standIn.addBot("dingtalk", { secret });
  });
  afterAll(() => standIn.close());

  const postFeishu = async (timestamp: string, sign: string) => {
    const response = await fetch(feishuUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ timestamp, sign, msg_type: "text", content: { text: "hi" } }),
    });
    return (await response.json()) as { code: number };
  };
  const postDingTalk = async (timestamp: string, sign: string) => {
    const url = new URL(dingtalkUrl);
    url.searchParams.set("timestamp", timestamp);
    url.searchParams.set("sign", sign);
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ msgtype: "text", text: { content: "hi" } }),
    });
    return (await response.json()) as { errcode: number };
  };

  it("accepts a correct Feishu and DingTalk signature, and a timestamp just inside the hour", async () => {
    const seconds = String(Math.floor(nowMs / 1000) - 3599);
    const ms = String(nowMs + 3_599_000);

    expect((await postFeishu(seconds, feishuBotSign(seconds, secret))).code).toBe(0);
    expect((await postDingTalk(ms, dingtalkBotSign(ms, secret))).errcode).toBe(0);
  });

  it("rejects a Feishu body whose sign or timestamp was changed", async () => {
    const timestamp = String(Math.floor(nowMs / 1000));
    const sign = feishuBotSign(timestamp, secret);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          // A changed character of the sign.
          fc
            .tuple(fc.nat({ max: sign.length - 1 }), fc.constantFrom(..."ABCabc019+/="))
            .map(([at, char]) => ({ timestamp, sign: sign.slice(0, at) + char + sign.slice(at + 1) })),
          // Another timestamp with the old sign.
          fc
            .integer({ min: -100_000, max: 100_000 })
            .filter((delta) => delta !== 0)
            .map((delta) => ({ timestamp: String(Number(timestamp) + delta), sign })),
          // A correct sign for a timestamp outside the hour.
          fc
            .integer({ min: 3601, max: 10_000_000 })
            .chain((off) => fc.constantFrom(off, -off))
            .map((delta) => {
              const stale = String(Number(timestamp) + delta);
              return { timestamp: stale, sign: feishuBotSign(stale, secret) };
            }),
        ),
        async (changed) => {
          fc.pre(changed.sign !== sign || changed.timestamp !== timestamp);
          expect((await postFeishu(changed.timestamp, changed.sign)).code).toBe(19021);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rejects a DingTalk URL whose sign or timestamp was changed", async () => {
    const timestamp = String(nowMs);
    const sign = dingtalkBotSign(timestamp, secret);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc
            .tuple(fc.nat({ max: sign.length - 1 }), fc.constantFrom(..."ABCabc019+/="))
            .map(([at, char]) => ({ timestamp, sign: sign.slice(0, at) + char + sign.slice(at + 1) })),
          fc
            .integer({ min: -100_000_000, max: 100_000_000 })
            .filter((delta) => delta !== 0)
            .map((delta) => ({ timestamp: String(Number(timestamp) + delta), sign })),
          fc
            .integer({ min: 3_600_001, max: 1_000_000_000 })
            .chain((off) => fc.constantFrom(off, -off))
            .map((delta) => {
              const stale = String(Number(timestamp) + delta);
              return { timestamp: stale, sign: dingtalkBotSign(stale, secret) };
            }),
        ),
        async (changed) => {
          fc.pre(changed.sign !== sign || changed.timestamp !== timestamp);
          expect((await postDingTalk(changed.timestamp, changed.sign)).errcode).toBe(310000);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("rejects a DingTalk sign sent without URL-encoding (a '+' arrives as a space)", async () => {
    // Find a timestamp whose signature has a '+', then put it on the URL raw.
    let timestamp = nowMs;
    while (!dingtalkBotSign(timestamp, secret).includes("+")) timestamp += 1;
    const raw = `${dingtalkUrl}&timestamp=${timestamp}&sign=${dingtalkBotSign(timestamp, secret)}`;

    const response = await fetch(raw, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ msgtype: "text", text: { content: "hi" } }),
    });

    expect(((await response.json()) as { errcode: number }).errcode).toBe(310000);
  });
});
