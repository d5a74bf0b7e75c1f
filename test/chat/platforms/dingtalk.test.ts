import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DINGTALK_MAX_SKEW_MS,
  dingTalkCardCallback,
  dingTalkMessage,
  dingTalkSignature,
  signDingTalkRequest,
  verifyDingTalkRequest,
} from "../../../lib/chat/platforms";
import type { RawHttpRequest } from "../../../lib/chat/types";
import {
  assertBase64BodyVerifiesAsRaw,
  assertStaleRefused,
  assertTamperRefused,
  withBody,
} from "./mutations";

const SECRETS = { appSecret: "dingtalk-app-secret-for-tests" };
const NOW_MS = 1_760_000_000_123;
const SIGNING = { ...SECRETS, timestampMs: NOW_MS };

/** HMAC-SHA256 written out from its definition (RFC 2104) with plain SHA-256, independent of createHmac. */
function hmacSha256ByHand(key: string, message: string): Buffer {
  let block = Buffer.from(key, "utf8");
  if (block.length > 64) block = createHash("sha256").update(block).digest();
  block = Buffer.concat([block, Buffer.alloc(64 - block.length)]);
  const inner = createHash("sha256")
    .update(Buffer.from(block.map((byte) => byte ^ 0x36)))
    .update(message, "utf8")
    .digest();
  return createHash("sha256")
    .update(Buffer.from(block.map((byte) => byte ^ 0x5c)))
    .update(inner)
    .digest();
}

describe("DingTalk known answers", () => {
  it("signs timestamp + \\n + appSecret keyed with the appSecret, base64", () => {
    // DingTalk publishes no vector with an answer. This one comes from OpenSSL, outside Node:
    //   printf '1577262236757\nthis is secret' | openssl dgst -sha256 -hmac 'this is secret' -binary | base64
    expect(dingTalkSignature("this is secret", "1577262236757")).toBe(
      "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=",
    );
    expect(hmacSha256ByHand("this is secret", "1577262236757\nthis is secret").toString("base64")).toBe(
      "hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=",
    );
  });

  it("agrees with HMAC written out by hand for any secret and timestamp", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100 }), fc.nat({ max: 2 ** 45 }), (secret, ms) => {
        expect(dingTalkSignature(secret, String(ms))).toBe(
          hmacSha256ByHand(secret, `${ms}\n${secret}`).toString("base64"),
        );
      }),
    );
  });

  it("accepts headers in any case", () => {
    const request = dingTalkMessage("status", SIGNING);
    const shouting: RawHttpRequest = {
      ...request,
      headers: { Timestamp: request.headers.timestamp!, SIGN: request.headers.sign! },
    };
    expect(verifyDingTalkRequest(shouting, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "command" },
    });
  });
});

describe("verifyDingTalkRequest refuses", () => {
  const good = dingTalkMessage("status", SIGNING);

  it("a request without the timestamp or sign header", () => {
    expect(
      verifyDingTalkRequest({ ...good, headers: { sign: good.headers.sign! } }, SECRETS, NOW_MS),
    ).toMatchObject({
      status: 401,
    });
    expect(
      verifyDingTalkRequest({ ...good, headers: { timestamp: good.headers.timestamp! } }, SECRETS, NOW_MS),
    ).toMatchObject({ status: 401 });
  });

  it("a request signed with another secret", () => {
    expect(verifyDingTalkRequest(good, { appSecret: "another" }, NOW_MS)).toMatchObject({ status: 401 });
  });

  it("any changed character of the sign or timestamp header", () => {
    assertTamperRefused({
      build: (text) => dingTalkMessage(text, SIGNING),
      fields: ["sign", "timestamp"],
      verify: (request) => verifyDingTalkRequest(request, SECRETS, NOW_MS),
    });
  });

  it("a timestamp more than five minutes away, either way, and accepts one exactly five minutes away", () => {
    expect(verifyDingTalkRequest(good, SECRETS, NOW_MS + DINGTALK_MAX_SKEW_MS)).toMatchObject({ ok: true });
    expect(verifyDingTalkRequest(good, SECRETS, NOW_MS - DINGTALK_MAX_SKEW_MS)).toMatchObject({ ok: true });
    expect(verifyDingTalkRequest(good, SECRETS, NOW_MS + DINGTALK_MAX_SKEW_MS + 1)).toMatchObject({
      status: 401,
    });
    expect(verifyDingTalkRequest(good, SECRETS, NOW_MS - DINGTALK_MAX_SKEW_MS - 1)).toMatchObject({
      status: 401,
    });
  });

  it("a correctly signed request replayed outside the window", () => {
    assertStaleRefused({
      maxSkew: DINGTALK_MAX_SKEW_MS,
      tenYears: 10 * 365 * 86_400_000,
      build: (offsetMs) => dingTalkMessage("status", { ...SECRETS, timestampMs: NOW_MS + offsetMs }),
      verify: (request) => verifyDingTalkRequest(request, SECRETS, NOW_MS),
    });
  });

  it("a session webhook that is not DingTalk's, since the body is not covered by the signature", () => {
    // DingTalk's sign covers only the timestamp: the same headers verify with any body, so the
    // body's reply address is checked against DingTalk's host.
    const evil = dingTalkMessage("status", { ...SIGNING, sessionWebhook: "https://attacker.example/hook" });
    const original = dingTalkMessage("status", SIGNING);
    expect(evil.headers).toEqual(original.headers);
    expect(verifyDingTalkRequest(evil, SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 400 });
    const lookalike = dingTalkMessage("status", {
      ...SIGNING,
      sessionWebhook: "https://oapi.dingtalk.com.attacker.example/",
    });
    expect(verifyDingTalkRequest(lookalike, SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 400 });
  });
});

describe("verifyDingTalkRequest on API Gateway events", () => {
  it("verifies a base64-encoded body exactly as the raw one", () => {
    assertBase64BodyVerifiesAsRaw({
      build: (text) => dingTalkMessage(text, SIGNING),
      flipAt: () => 0,
      verify: (request) => verifyDingTalkRequest(request, SECRETS, NOW_MS),
    });
  });
});

describe("verifyDingTalkRequest maps", () => {
  it("a text message to a command answered on its session webhook, keyed by msgId", () => {
    const request = dingTalkMessage("  release unit-1  ", {
      ...SIGNING,
      msgId: "msgABC",
      senderStaffId: "staff-42",
      conversationId: "cid-42",
      sessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=s1",
      sessionWebhookExpiredTime: NOW_MS + 60_000,
    });

    expect(verifyDingTalkRequest(request, SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "msgABC",
        sender: { platform: "dingtalk", userId: "staff-42", roomId: "cid-42" },
        text: "release unit-1",
        replyTo: {
          platform: "dingtalk",
          sessionWebhook: "https://oapi.dingtalk.com/robot/sendBySession?session=s1",
          expiresAtMs: NOW_MS + 60_000,
          // A group chat of this robot: where a confirmation card can go.
          conversationId: "cid-42",
          robotCode: "ding0001robot",
        },
      },
    });
  });

  it("a non-text message or a sender outside the organisation to ignore", () => {
    const signedBody = (body: unknown): RawHttpRequest => ({
      method: "POST",
      path: "/chat/dingtalk",
      query: {},
      headers: signDingTalkRequest(SIGNING),
      body: Buffer.from(JSON.stringify(body)),
    });
    const picture = signedBody({ msgId: "m1", msgtype: "picture", content: { downloadCode: "x" } });
    expect(verifyDingTalkRequest(picture, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "ignore" },
    });
    const outsider = dingTalkMessage("status", { ...SIGNING, senderStaffId: "" });
    expect(verifyDingTalkRequest(outsider, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "ignore" },
    });
  });

  it("a verified but malformed body to 400", () => {
    const request = dingTalkMessage("status", SIGNING);
    for (const body of ["{nope", "[]", '{"msgtype":"text"}', '{"msgId":"m1","msgtype":"text","text":{}}']) {
      expect(verifyDingTalkRequest(withBody(request, Buffer.from(body)), SECRETS, NOW_MS)).toMatchObject({
        ok: false,
        status: 400,
      });
    }
  });
});

describe("DingTalk interactive-card callbacks", () => {
  const CONFIRMATION = "AbCdEfGhIjKlMnOpQrStUv";
  const SESSION = "https://oapi.dingtalk.com/robot/sendBySession?session=s9";
  const params = {
    confirm: `confirm:${CONFIRMATION}`,
    session: SESSION,
    sessionExpiresAt: NOW_MS + 60_000,
    room: "cid-42",
  };
  const press = (over: Partial<typeof params> = {}, timestampMs = NOW_MS) =>
    dingTalkCardCallback(
      { ...params, ...over },
      { ...SECRETS, timestampMs, userId: "staff-42", outTrackId: "qfhk-card-1" },
    );

  it("carries the app robot's signature: the known answer for its timestamp", () => {
    // The same headers as a message: base64(HMAC-SHA256(appSecret, ts + "\n" + appSecret)).
    const request = dingTalkCardCallback(params, { appSecret: "this is secret", timestampMs: 1577262236757 });
    expect(request.headers.sign).toBe("hmPWwU+7lVdm3ZZz0r9tSfx0L4Q26jWOZr9+Gs6EZQM=");
    expect(request.headers.timestamp).toBe("1577262236757");
  });

  it("maps a press to a confirmation by that user in that room, answered on the card's session", () => {
    expect(verifyDingTalkRequest(press(), SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "confirm",
        eventId: `card:qfhk-card-1:staff-42:${NOW_MS}`,
        sender: { platform: "dingtalk", userId: "staff-42", roomId: "cid-42" },
        confirmationId: CONFIRMATION,
        replyTo: { platform: "dingtalk", sessionWebhook: SESSION, expiresAtMs: NOW_MS + 60_000 },
      },
    });
  });

  it("refuses any changed signature or timestamp, and a press outside five minutes", () => {
    assertTamperRefused({
      build: (text) => press({ room: text || "cid-42" }),
      fields: ["sign", "timestamp"],
      verify: (request) => verifyDingTalkRequest(request, SECRETS, NOW_MS),
    });
    const stale = press({}, NOW_MS - DINGTALK_MAX_SKEW_MS - 1);
    expect(verifyDingTalkRequest(stale, SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 401 });
  });

  it("refuses a press whose session is not DingTalk's, and ignores one that is no confirmation", () => {
    const elsewhere = press({ session: "https://evil.example/robot/sendBySession?session=s9" });
    expect(verifyDingTalkRequest(elsewhere, SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 400 });
    const other = press({ confirm: "something-else" });
    expect(verifyDingTalkRequest(other, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "ignore" },
    });
  });
});
