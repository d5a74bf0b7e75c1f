import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  dingTalkMessage,
  feishuMessageEvent,
  headerOf,
  rawBodyOf,
  slackCommandRequest,
  verifyChatRequest,
  weComTextMessage,
} from "../../../lib/chat/platforms";
import { safeEqual } from "../../../lib/chat/platforms/common";
import type { ChatSecrets, RawHttpRequest } from "../../../lib/chat/types";

const NOW_S = 1_760_000_000;
const NOW_MS = NOW_S * 1000;
const SECRETS: ChatSecrets = {
  slack: { signingSecret: "slack-secret" },
  feishu: { verificationToken: "feishu-token", encryptKey: "feishu-key" },
  dingtalk: { appSecret: "dingtalk-secret" },
  wecom: {
    token: "wecom-token",
    encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    corpId: "ww1",
  },
};

describe("rawBodyOf", () => {
  it("decodes a base64 body to the bytes it encodes, binary included", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const body = Buffer.from(bytes);
        expect(rawBodyOf({ body: body.toString("base64"), isBase64Encoded: true }).equals(body)).toBe(true);
      }),
    );
  });

  it("takes a plain body as its UTF-8 bytes, and a missing body as none", () => {
    expect(rawBodyOf({ body: "héllo 中文", isBase64Encoded: false })).toEqual(
      Buffer.from("héllo 中文", "utf8"),
    );
    expect(rawBodyOf({ body: "aGk=" })).toEqual(Buffer.from("aGk=", "utf8"));
    expect(rawBodyOf({ body: null, isBase64Encoded: true }).length).toBe(0);
    expect(rawBodyOf({}).length).toBe(0);
  });
});

describe("headerOf", () => {
  it("finds a header whatever the case of its name", () => {
    const request: RawHttpRequest = {
      method: "POST",
      path: "/",
      headers: { "X-Slack-Signature": "v0=abc", timestamp: "1" },
      query: {},
      body: Buffer.alloc(0),
    };
    expect(headerOf(request, "x-slack-signature")).toBe("v0=abc");
    expect(headerOf(request, "TIMESTAMP")).toBe("1");
    expect(headerOf(request, "sign")).toBeUndefined();
  });
});

describe("safeEqual", () => {
  it("is true exactly for equal strings", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        expect(safeEqual(a, b)).toBe(a === b);
        expect(safeEqual(a, a)).toBe(true);
      }),
    );
  });
});

describe("verifyChatRequest", () => {
  const requests: Array<[keyof ChatSecrets, RawHttpRequest]> = [
    ["slack", slackCommandRequest("status", { signingSecret: "slack-secret", timestampS: NOW_S })],
    [
      "feishu",
      feishuMessageEvent("status", {
        verificationToken: "feishu-token",
        encryptKey: "feishu-key",
        timestampS: NOW_S,
      }),
    ],
    ["dingtalk", dingTalkMessage("status", { appSecret: "dingtalk-secret", timestampMs: NOW_MS })],
    ["wecom", weComTextMessage("status", { ...SECRETS.wecom!, timestampS: NOW_S })],
  ];

  it.each(requests)("hands a %s request to that platform's verifier", (platform, request) => {
    expect(verifyChatRequest(platform, request, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "command", text: "status", sender: { platform } },
    });
  });

  it.each(requests)("refuses a %s request when that platform has no secrets", (platform, request) => {
    const { [platform]: _off, ...others } = SECRETS;
    expect(verifyChatRequest(platform, request, others, NOW_MS)).toEqual({
      ok: false,
      status: 401,
      reason: `${platform}: not configured`,
    });
  });

  it("refuses one platform's request sent to another platform's route", () => {
    for (const [platform] of requests) {
      for (const [other, request] of requests) {
        if (other === platform) continue;
        expect(verifyChatRequest(platform, request, SECRETS, NOW_MS)).toMatchObject({
          ok: false,
          status: 401,
        });
      }
    }
  });
});
