import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { ChatSecrets, RawHttpRequest, VerifyResult } from "../types";
import {
  accept,
  ChatCryptoError,
  confirmationIdOf,
  handshake,
  headerOf,
  ignore,
  isObject,
  type JsonObject,
  jsonAnswer,
  objectField,
  parseJson,
  rawRequest,
  refuse,
  safeEqual,
  stringField,
} from "./common";

export type FeishuSecrets = NonNullable<ChatSecrets["feishu"]>;

const TIMESTAMP_HEADER = "x-lark-request-timestamp";
const NONCE_HEADER = "x-lark-request-nonce";
const SIGNATURE_HEADER = "x-lark-signature";

/**
 * Feishu's request signature: a plain (unkeyed) SHA-256, hex, over timestamp + nonce + Encrypt Key +
 * raw body. Sent only when an Encrypt Key is configured.
 * @see https://open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/event-subscription-configure-/encrypt-key-encryption-configuration-case
 */
export function feishuSignature(
  timestamp: string,
  nonce: string,
  encryptKey: string,
  body: Buffer | string,
): string {
  return createHash("sha256")
    .update(Buffer.from(timestamp + nonce + encryptKey, "utf8"))
    .update(typeof body === "string" ? Buffer.from(body, "utf8") : body)
    .digest("hex");
}

function aesKeyOf(encryptKey: string): Buffer {
  return createHash("sha256").update(encryptKey, "utf8").digest();
}

/**
 * Decrypts the `encrypt` field of a Feishu body: AES-256-CBC, key SHA-256(Encrypt Key), the first 16
 * bytes of the base64-decoded data are the IV, PKCS#7 padding.
 * @throws ChatCryptoError when the data is not a well-formed ciphertext under this key.
 */
export function decryptFeishuPayload(encryptKey: string, encrypted: string): string {
  const data = Buffer.from(encrypted, "base64");
  if (data.length < 32 || data.length % 16 !== 0) {
    throw new ChatCryptoError("feishu: ciphertext is not whole AES blocks after an IV");
  }
  try {
    const decipher = createDecipheriv("aes-256-cbc", aesKeyOf(encryptKey), data.subarray(0, 16));
    return Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]).toString("utf8");
  } catch (error) {
    throw new ChatCryptoError("feishu: ciphertext does not decrypt under the Encrypt Key", { cause: error });
  }
}

/** The inverse of {@link decryptFeishuPayload}: base64(IV ‖ AES-256-CBC(plaintext)). */
export function encryptFeishuPayload(
  encryptKey: string,
  plaintext: string,
  iv: Buffer = randomBytes(16),
): string {
  const cipher = createCipheriv("aes-256-cbc", aesKeyOf(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, "utf8"), cipher.final()]).toString("base64");
}

/**
 * Verifies a Feishu event or card callback and maps it to an {@link InboundEvent}. With an Encrypt
 * Key, the signature headers are checked on the raw body and `{"encrypt": …}` bodies are decrypted;
 * the Verification Token (v2 `header.token`, v1 `token`) is always checked, because without an
 * Encrypt Key it is the only proof there is. Feishu documents no time window: de-duplicate on
 * `header.event_id`.
 * @see https://open.feishu.cn/document/server-docs/event-subscription-guide/overview
 */
export function verifyFeishuRequest(
  request: RawHttpRequest,
  secrets: FeishuSecrets,
  _nowMs: number,
): VerifyResult {
  const encryptKey = secrets.encryptKey || undefined;
  const signature = headerOf(request, SIGNATURE_HEADER);
  let signed = false;
  if (encryptKey && signature !== undefined) {
    const timestamp = headerOf(request, TIMESTAMP_HEADER) ?? "";
    const nonce = headerOf(request, NONCE_HEADER) ?? "";
    if (!safeEqual(signature, feishuSignature(timestamp, nonce, encryptKey, request.body))) {
      return refuse(401, "feishu: signature does not match");
    }
    signed = true;
  }
  // Until the signature or the token has been checked, a body we cannot read is not proof of anything.
  const malformed = signed ? 400 : 401;

  let payload = parseJson(request.body.toString("utf8"));
  if (!isObject(payload)) return refuse(malformed, "feishu: body is not a JSON object");
  if (typeof payload.encrypt === "string") {
    if (!encryptKey) return refuse(401, "feishu: encrypted body but no Encrypt Key configured");
    try {
      payload = parseJson(decryptFeishuPayload(encryptKey, payload.encrypt));
    } catch {
      return refuse(malformed, "feishu: encrypted body does not decrypt");
    }
    if (!isObject(payload)) return refuse(malformed, "feishu: decrypted body is not a JSON object");
  }

  const token = stringField(objectField(payload, "header"), "token") ?? stringField(payload, "token");
  if (token === undefined || !safeEqual(token, secrets.verificationToken)) {
    return refuse(401, "feishu: verification token does not match");
  }
  // Feishu sends the URL check unsigned: the token is its proof.
  if (payload.type === "url_verification") {
    const challenge = stringField(payload, "challenge");
    if (!challenge) return refuse(400, "feishu: url_verification without a challenge");
    return handshake(jsonAnswer({ challenge }));
  }
  if (encryptKey && !signed) return refuse(401, "feishu: signature headers missing");
  return mapFeishuPayload(payload);
}

function mapFeishuPayload(payload: JsonObject): VerifyResult {
  const header = objectField(payload, "header");
  if (!header) return ignore(`feishu: v1 event ${String(payload.type)}`);
  const eventId = stringField(header, "event_id");
  const event = objectField(payload, "event");
  if (!eventId || !event) return refuse(400, "feishu: v2 event without event_id or event");
  switch (header.event_type) {
    case "im.message.receive_v1":
      return mapMessage(eventId, event);
    case "card.action.trigger":
      return mapCardAction(eventId, event);
    default:
      return ignore(`feishu: event ${String(header.event_type)}`);
  }
}

function mapMessage(eventId: string, event: JsonObject): VerifyResult {
  const sender = objectField(event, "sender");
  const message = objectField(event, "message");
  if (!sender || !message) return refuse(400, "feishu: message event without sender or message");
  if (sender.sender_type !== undefined && sender.sender_type !== "user") {
    return ignore(`feishu: message from a ${String(sender.sender_type)}`);
  }
  if (message.message_type !== "text") return ignore(`feishu: ${String(message.message_type)} message`);
  const openId = stringField(objectField(sender, "sender_id"), "open_id");
  const chatId = stringField(message, "chat_id");
  const messageId = stringField(message, "message_id");
  const content = parseJson(stringField(message, "content") ?? "");
  const text = isObject(content) && typeof content.text === "string" ? content.text : undefined;
  if (!openId || !chatId || text === undefined) {
    return refuse(400, "feishu: text message without open_id, chat_id or text content");
  }
  return accept({
    kind: "command",
    eventId,
    sender: { platform: "feishu", userId: openId, roomId: chatId },
    text: stripFeishuMentions(text),
    replyTo: { platform: "feishu", chatId, ...(messageId ? { messageId } : {}) },
  });
}

function mapCardAction(eventId: string, event: JsonObject): VerifyResult {
  const value = objectField(event, "action")?.value;
  const confirmationId = isObject(value) ? stringField(value, "confirm") : confirmationIdOf(value);
  if (!confirmationId) return ignore("feishu: card action that is not a confirmation");
  const openId = stringField(objectField(event, "operator"), "open_id");
  const context = objectField(event, "context");
  const chatId = stringField(context, "open_chat_id");
  const messageId = stringField(context, "open_message_id");
  if (!openId || !chatId) return refuse(400, "feishu: card action without operator open_id or chat");
  return accept({
    kind: "confirm",
    eventId,
    sender: { platform: "feishu", userId: openId, roomId: chatId },
    confirmationId,
    replyTo: { platform: "feishu", chatId, ...(messageId ? { messageId } : {}) },
  });
}

/** Removes Feishu's `@_user_1` / `@_all` mention placeholders: the command is what is left. */
export function stripFeishuMentions(text: string): string {
  return text
    .replace(/@_(?:user_\d+|all)/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

// ---- Signers and builders: requests as Feishu would send them (tests and `qfhk chat`). ----

export interface FeishuSigning {
  verificationToken: string;
  /** When set, the body is encrypted and signed, as Feishu does once an Encrypt Key is configured. */
  encryptKey?: string;
  /** X-Lark-Request-Timestamp, in seconds. */
  timestampS: number;
  nonce?: string;
  /** The AES IV (random when omitted). */
  iv?: Buffer;
  path?: string;
}

/**
 * The headers and body Feishu would send for this payload: encrypted to `{"encrypt": …}` and signed
 * when an Encrypt Key is given, plain JSON otherwise. The payload must already carry its token.
 */
export function signFeishuRequest(
  input: Omit<FeishuSigning, "verificationToken" | "path"> & { payload: unknown },
): { headers: Record<string, string>; body: Buffer } {
  const timestamp = String(input.timestampS);
  const nonce = input.nonce ?? randomBytes(8).toString("hex");
  const plaintext = JSON.stringify(input.payload);
  if (!input.encryptKey) {
    return {
      headers: { [TIMESTAMP_HEADER]: timestamp, [NONCE_HEADER]: nonce },
      body: Buffer.from(plaintext, "utf8"),
    };
  }
  const body = Buffer.from(
    JSON.stringify({ encrypt: encryptFeishuPayload(input.encryptKey, plaintext, input.iv) }),
    "utf8",
  );
  return {
    headers: {
      [TIMESTAMP_HEADER]: timestamp,
      [NONCE_HEADER]: nonce,
      [SIGNATURE_HEADER]: feishuSignature(timestamp, nonce, input.encryptKey, body),
    },
    body,
  };
}

function feishuRequest(options: FeishuSigning, payload: unknown): RawHttpRequest {
  const { headers, body } = signFeishuRequest({ ...options, payload });
  return rawRequest({
    path: options.path ?? "/chat/feishu",
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
    body,
  });
}

function v2Header(options: FeishuSigning, eventType: string, eventId: string): JsonObject {
  return {
    event_id: eventId,
    token: options.verificationToken,
    create_time: String(options.timestampS * 1000),
    event_type: eventType,
    tenant_key: "tenant-1",
    app_id: "cli_a0000000000000",
  };
}

/** A v2 `im.message.receive_v1` event for a text message, `@_user_1 <text>` in a group by default. */
export function feishuMessageEvent(
  text: string,
  options: FeishuSigning & {
    eventId?: string;
    openId?: string;
    chatId?: string;
    messageId?: string;
    chatType?: "group" | "p2p";
    senderType?: string;
  },
): RawHttpRequest {
  const chatType = options.chatType ?? "group";
  const mentioned = chatType === "group";
  return feishuRequest(options, {
    schema: "2.0",
    header: v2Header(options, "im.message.receive_v1", options.eventId ?? `ev-${options.timestampS}`),
    event: {
      sender: {
        sender_id: { union_id: "on_1", user_id: "user-1", open_id: options.openId ?? "ou_0001" },
        sender_type: options.senderType ?? "user",
        tenant_key: "tenant-1",
      },
      message: {
        message_id: options.messageId ?? "om_0001",
        create_time: String(options.timestampS * 1000),
        chat_id: options.chatId ?? "oc_0001",
        chat_type: chatType,
        message_type: "text",
        content: JSON.stringify({ text: mentioned ? `@_user_1 ${text}` : text }),
        ...(mentioned
          ? {
              mentions: [
                {
                  key: "@_user_1",
                  id: { open_id: "ou_bot", union_id: "on_bot" },
                  name: "qfhk",
                  tenant_key: "tenant-1",
                },
              ],
            }
          : {}),
      },
    },
  });
}

/** A v2 `card.action.trigger` callback: the user pressed our confirmation button. */
export function feishuConfirmRequest(
  confirmationId: string,
  options: FeishuSigning & { eventId?: string; openId?: string; chatId?: string; messageId?: string },
): RawHttpRequest {
  return feishuRequest(options, {
    schema: "2.0",
    header: v2Header(options, "card.action.trigger", options.eventId ?? `ev-card-${options.timestampS}`),
    event: {
      operator: {
        tenant_key: "tenant-1",
        user_id: "user-1",
        open_id: options.openId ?? "ou_0001",
        union_id: "on_1",
      },
      token: "c-update-token",
      action: { value: { confirm: confirmationId }, tag: "button", name: "confirm" },
      host: "im_message",
      context: { open_message_id: options.messageId ?? "om_card", open_chat_id: options.chatId ?? "oc_0001" },
    },
  });
}

/** The `url_verification` request Feishu sends when the request URL is saved. */
export function feishuUrlVerification(challenge: string, options: FeishuSigning): RawHttpRequest {
  return feishuRequest(options, { challenge, token: options.verificationToken, type: "url_verification" });
}
