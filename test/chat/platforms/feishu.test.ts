import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decryptFeishuPayload,
  encryptFeishuPayload,
  feishuConfirmRequest,
  feishuMessageEvent,
  feishuSignature,
  feishuUrlVerification,
  signFeishuRequest,
  stripFeishuMentions,
  verifyFeishuRequest,
} from "../../../lib/chat/platforms";
import type { RawHttpRequest } from "../../../lib/chat/types";
import {
  assertBase64BodyVerifiesAsRaw,
  assertTamperRefused,
  byteChange,
  commandText,
  flipByte,
  withBody,
} from "./mutations";

const TOKEN = "feishu-verification-token";
const ENCRYPT_KEY = "feishu-encrypt-key";
const PLAIN = { verificationToken: TOKEN };
const ENCRYPTED = { verificationToken: TOKEN, encryptKey: ENCRYPT_KEY };
const NOW_S = 1_760_000_000;
const NOW_MS = NOW_S * 1000;

function signed(
  payload: unknown,
  encryptKey?: string,
  extraHeaders: Record<string, string> = {},
): RawHttpRequest {
  const { headers, body } = signFeishuRequest({ payload, encryptKey, timestampS: NOW_S, nonce: "nonce-1" });
  return { method: "POST", path: "/chat/feishu", query: {}, headers: { ...headers, ...extraHeaders }, body };
}

describe("Feishu known answers", () => {
  it("decrypts the example of Feishu's Encrypt Key documentation", () => {
    // "Encrypt Key" decryption sample of the Feishu open platform docs (event subscription, "配置 Encrypt Key").
    expect(decryptFeishuPayload("test key", "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=")).toBe(
      "hello world",
    );
  });

  it("signs timestamp + nonce + Encrypt Key + raw body with a plain SHA-256", () => {
    // No published vector with an answer: the expected value comes from coreutils, outside Node:
    //   printf '%s' '1700000000nonce-1test key{"encrypt":"P37w…ghk="}' | sha256sum
    const body = '{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}';
    const expected = "002a272a435d056759149cce18e88064ff320d38d91a09432445c344c4296949";
    expect(feishuSignature("1700000000", "nonce-1", "test key", body)).toBe(expected);
    // And written out step by step with node:crypto, as Feishu's docs describe it.
    const byHand = createHash("sha256")
      .update(Buffer.concat([Buffer.from("1700000000nonce-1test key", "utf8"), Buffer.from(body, "utf8")]))
      .digest("hex");
    expect(byHand).toBe(expected);
  });

  it("answers a signed request whose body decrypts to something other than JSON with 400", () => {
    const body = Buffer.from('{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}');
    const request: RawHttpRequest = {
      method: "POST",
      path: "/chat/feishu",
      query: {},
      body,
      headers: {
        "X-Lark-Request-Timestamp": "1700000000",
        "X-Lark-Request-Nonce": "nonce-1",
        "X-Lark-Signature": "002a272a435d056759149cce18e88064ff320d38d91a09432445c344c4296949",
      },
    };
    expect(
      verifyFeishuRequest(request, { verificationToken: TOKEN, encryptKey: "test key" }, NOW_MS),
    ).toMatchObject({
      ok: false,
      status: 400,
    });
  });

  it("round-trips its own encryption, with a fresh IV each time", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const first = encryptFeishuPayload(ENCRYPT_KEY, text);
        expect(decryptFeishuPayload(ENCRYPT_KEY, first)).toBe(text);
        expect(encryptFeishuPayload(ENCRYPT_KEY, text)).not.toBe(first);
      }),
    );
  });
});

describe("verifyFeishuRequest with an Encrypt Key refuses", () => {
  it("any changed byte of the body", () => {
    fc.assert(
      fc.property(commandText, byteChange, (text, change) => {
        const request = feishuMessageEvent(text, { ...ENCRYPTED, timestampS: NOW_S });
        const tampered = withBody(request, flipByte(request.body, change.index, change.xor));
        expect(verifyFeishuRequest(tampered, ENCRYPTED, NOW_MS)).toMatchObject({ ok: false, status: 401 });
      }),
    );
  });

  it("any changed character of the signature, timestamp or nonce header", () => {
    assertTamperRefused({
      build: (text) => feishuMessageEvent(text, { ...ENCRYPTED, timestampS: NOW_S }),
      fields: ["x-lark-signature", "x-lark-request-timestamp", "x-lark-request-nonce"],
      verify: (request) => verifyFeishuRequest(request, ENCRYPTED, NOW_MS),
    });
  });

  it("an event without the signature headers", () => {
    const request = feishuMessageEvent("status", { ...ENCRYPTED, timestampS: NOW_S });
    const { "x-lark-signature": _dropped, ...headers } = request.headers;
    expect(verifyFeishuRequest({ ...request, headers }, ENCRYPTED, NOW_MS)).toMatchObject({ status: 401 });
  });

  it("a correctly signed event whose token is not ours", () => {
    const request = feishuMessageEvent("status", {
      verificationToken: "someone-else",
      encryptKey: ENCRYPT_KEY,
      timestampS: NOW_S,
    });
    expect(verifyFeishuRequest(request, ENCRYPTED, NOW_MS)).toMatchObject({ status: 401 });
  });

  it("an encrypted body when no Encrypt Key is configured", () => {
    const request = feishuMessageEvent("status", { ...ENCRYPTED, timestampS: NOW_S });
    expect(verifyFeishuRequest(request, PLAIN, NOW_MS)).toMatchObject({ status: 401 });
  });
});

describe("verifyFeishuRequest without an Encrypt Key", () => {
  it("accepts a plain event with our token and refuses any other token", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (token) => {
        fc.pre(token !== TOKEN);
        const request = feishuMessageEvent("status", { verificationToken: token, timestampS: NOW_S });
        expect(verifyFeishuRequest(request, PLAIN, NOW_MS)).toMatchObject({ ok: false, status: 401 });
      }),
    );
    const ours = feishuMessageEvent("status", { ...PLAIN, timestampS: NOW_S });
    expect(verifyFeishuRequest(ours, PLAIN, NOW_MS)).toMatchObject({ ok: true, event: { kind: "command" } });
  });

  it("refuses a body that is not JSON or carries no token with 401", () => {
    const request = feishuMessageEvent("status", { ...PLAIN, timestampS: NOW_S });
    expect(verifyFeishuRequest(withBody(request, Buffer.from("{nope")), PLAIN, NOW_MS)).toMatchObject({
      status: 401,
    });
    expect(
      verifyFeishuRequest(withBody(request, Buffer.from('{"schema":"2.0"}')), PLAIN, NOW_MS),
    ).toMatchObject({
      status: 401,
    });
  });
});

describe("verifyFeishuRequest on API Gateway events", () => {
  it("verifies a base64-encoded body exactly as the raw one", () => {
    assertBase64BodyVerifiesAsRaw({
      build: (text) => feishuMessageEvent(text, { ...ENCRYPTED, timestampS: NOW_S }),
      flipAt: () => 20,
      verify: (request) => verifyFeishuRequest(request, ENCRYPTED, NOW_MS),
    });
  });
});

describe("verifyFeishuRequest maps", () => {
  it.each([
    ["plain", PLAIN],
    ["encrypted and signed", ENCRYPTED],
  ])("a %s group message to a command without the @mention", (_, secrets) => {
    const request = feishuMessageEvent("release   unit-1", {
      ...secrets,
      timestampS: NOW_S,
      eventId: "ev-1",
      openId: "ou_42",
      chatId: "oc_42",
      messageId: "om_42",
    });

    expect(verifyFeishuRequest(request, secrets, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "ev-1",
        sender: { platform: "feishu", userId: "ou_42", roomId: "oc_42" },
        text: "release unit-1",
        replyTo: { platform: "feishu", chatId: "oc_42", messageId: "om_42" },
      },
    });
  });

  it("a direct (p2p) message to a command with its text as typed", () => {
    const request = feishuMessageEvent("status", { ...ENCRYPTED, timestampS: NOW_S, chatType: "p2p" });
    expect(verifyFeishuRequest(request, ENCRYPTED, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "command", text: "status" },
    });
  });

  it("a card button with {confirm: id} to a confirm keyed by the event id", () => {
    const request = feishuConfirmRequest("cf-9", {
      ...ENCRYPTED,
      timestampS: NOW_S,
      eventId: "ev-card-1",
      openId: "ou_42",
      chatId: "oc_42",
      messageId: "om_card",
    });

    expect(verifyFeishuRequest(request, ENCRYPTED, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "confirm",
        eventId: "ev-card-1",
        sender: { platform: "feishu", userId: "ou_42", roomId: "oc_42" },
        confirmationId: "cf-9",
        replyTo: { platform: "feishu", chatId: "oc_42", messageId: "om_card" },
      },
    });
  });

  it("a url_verification to the challenge after the token check, signed or not", () => {
    for (const secrets of [PLAIN, ENCRYPTED]) {
      const request = feishuUrlVerification("ajls384kdjx98XX", { ...secrets, timestampS: NOW_S });
      const { "x-lark-signature": _dropped, ...unsigned } = request.headers;
      for (const candidate of [request, { ...request, headers: unsigned }]) {
        const result = verifyFeishuRequest(candidate, secrets, NOW_MS);
        if (!result.ok || result.event.kind !== "handshake")
          throw new Error(`not a handshake: ${JSON.stringify(result)}`);
        expect(JSON.parse(result.event.answer.body)).toEqual({ challenge: "ajls384kdjx98XX" });
      }
      const wrongToken = feishuUrlVerification("ajls384kdjx98XX", {
        ...secrets,
        verificationToken: "not-ours",
        timestampS: NOW_S,
      });
      expect(verifyFeishuRequest(wrongToken, secrets, NOW_MS)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it("other events, non-text messages, messages from apps and v1 events to ignore", () => {
    const header = (eventType: string) => ({ event_id: "ev-x", token: TOKEN, event_type: eventType });
    const cases = [
      { schema: "2.0", header: header("contact.user.created_v3"), event: {} },
      {
        schema: "2.0",
        header: header("im.message.receive_v1"),
        event: {
          sender: { sender_id: { open_id: "ou_1" }, sender_type: "user" },
          message: {
            message_id: "om_1",
            chat_id: "oc_1",
            message_type: "image",
            content: '{"image_key":"k"}',
          },
        },
      },
      {
        schema: "2.0",
        header: header("card.action.trigger"),
        event: {
          operator: { open_id: "ou_1" },
          action: { value: { cancel: "cf-1" } },
          context: { open_chat_id: "oc_1" },
        },
      },
      { uuid: "u-1", token: TOKEN, ts: "1", type: "event_callback", event: { type: "message" } },
    ];
    for (const payload of cases) {
      expect(verifyFeishuRequest(signed(payload, ENCRYPT_KEY), ENCRYPTED, NOW_MS)).toMatchObject({
        ok: true,
        event: { kind: "ignore" },
      });
    }
    const fromApp = feishuMessageEvent("status", { ...ENCRYPTED, timestampS: NOW_S, senderType: "app" });
    expect(verifyFeishuRequest(fromApp, ENCRYPTED, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "ignore" },
    });
  });

  it("a verified but malformed event to 400", () => {
    const cases = [
      { schema: "2.0", header: { token: TOKEN, event_type: "im.message.receive_v1" }, event: {} },
      {
        schema: "2.0",
        header: { event_id: "ev-x", token: TOKEN, event_type: "im.message.receive_v1" },
        event: { sender: { sender_type: "user" }, message: { message_type: "text", content: "not json" } },
      },
    ];
    for (const payload of cases) {
      expect(verifyFeishuRequest(signed(payload, ENCRYPT_KEY), ENCRYPTED, NOW_MS)).toMatchObject({
        ok: false,
        status: 400,
      });
    }
  });

  it("mention placeholders out of the text", () => {
    expect(stripFeishuMentions("@_user_1 release @_user_12  unit-1 @_all")).toBe("release unit-1");
  });
});
