import { randomBytes } from "node:crypto";
import { decrypt, encrypt, getSignature } from "@wecom/crypto";
import type { ChatSecrets, RawHttpRequest, VerifyResult } from "../types";
import {
  accept,
  ChatCryptoError,
  confirmationIdOf,
  handshake,
  ignore,
  rawRequest,
  refuse,
  safeEqual,
} from "./common";

export type WeComSecrets = NonNullable<ChatSecrets["wecom"]>;

/**
 * WeCom's `msg_signature`: hex SHA-1 over the sorted, concatenated [token, timestamp, nonce,
 * encrypted message].
 * @see https://developer.work.weixin.qq.com/document/path/90968
 */
export function weComSignature(token: string, timestamp: string, nonce: string, encrypted: string): string {
  return getSignature(token, timestamp, nonce, encrypted);
}

/**
 * Decrypts a WeCom message (AES-256-CBC, key = base64(EncodingAESKey + "="), IV = the key's first 16
 * bytes, PKCS#7 padded to 32) and checks that its receiveid is the CorpID.
 * @throws ChatCryptoError when it does not decrypt, is malformed, or was meant for another receiver.
 */
export function decryptWeComMessage(encodingAesKey: string, corpId: string, encrypted: string): string {
  const data = Buffer.from(encrypted, "base64");
  // random(16) + length(4) + receiveid, at least one whole 32-byte padding block.
  if (data.length < 32 || data.length % 16 !== 0)
    throw new ChatCryptoError("wecom: ciphertext is not whole blocks");
  let opened: { message: string; id: string; random: Buffer };
  try {
    opened = decrypt(encodingAesKey, encrypted);
  } catch (error) {
    throw new ChatCryptoError("wecom: ciphertext does not decrypt under the EncodingAESKey", {
      cause: error,
    });
  }
  // The receiveid is the proof the message was meant for this corporation (and that the key fits).
  if (!safeEqual(opened.id, corpId)) throw new ChatCryptoError("wecom: receiveid is not the CorpID");
  return opened.message;
}

/** The inverse of {@link decryptWeComMessage}, for tests and `qfhk chat`. */
export function encryptWeComMessage(input: {
  encodingAesKey: string;
  corpId: string;
  message: string;
  random?: Buffer;
}): string {
  return encrypt(input.encodingAesKey, input.message, input.corpId, input.random ?? randomBytes(16));
}

/**
 * Verifies a WeCom app callback and maps it to an {@link InboundEvent}. GET is the URL check:
 * verify, decrypt `echostr`, answer its plaintext. POST carries an XML body whose `<Encrypt>` is
 * verified and decrypted; a text message becomes a command, a template-card button with the key
 * `confirm:<id>` a confirmation. WeCom documents no time window: de-duplicate on `MsgId`.
 * @see https://developer.work.weixin.qq.com/document/path/90930
 */
export function verifyWeComRequest(
  request: RawHttpRequest,
  secrets: WeComSecrets,
  _nowMs: number,
): VerifyResult {
  const signature = request.query.msg_signature;
  const timestamp = request.query.timestamp;
  const nonce = request.query.nonce;
  if (!signature || !timestamp || !nonce)
    return refuse(401, "wecom: msg_signature, timestamp or nonce missing");
  const isUrlCheck = request.method.toUpperCase() === "GET";
  const encrypted = isUrlCheck ? request.query.echostr : readWeComXml(request.body.toString("utf8"))?.Encrypt;
  if (!encrypted)
    return refuse(401, isUrlCheck ? "wecom: echostr missing" : "wecom: no <Encrypt> in the body");
  if (!safeEqual(signature, weComSignature(secrets.token, timestamp, nonce, encrypted))) {
    return refuse(401, "wecom: msg_signature does not match");
  }
  let plaintext: string;
  try {
    plaintext = decryptWeComMessage(secrets.encodingAesKey, secrets.corpId, encrypted);
  } catch (error) {
    return refuse(401, error instanceof Error ? error.message : "wecom: does not decrypt");
  }
  if (isUrlCheck) {
    return handshake({
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8" },
      body: plaintext,
    });
  }
  return mapWeComMessage(plaintext, secrets);
}

function mapWeComMessage(xml: string, secrets: WeComSecrets): VerifyResult {
  const fields = readWeComXml(xml);
  if (!fields) return refuse(400, "wecom: decrypted message is not XML");
  const field = (name: string): string | undefined => fields[name] || undefined;
  const agentId = field("AgentID");
  if (secrets.agentId && agentId && agentId !== secrets.agentId) {
    return ignore(`wecom: message for another application (${agentId})`);
  }
  const userId = field("FromUserName");
  const msgType = field("MsgType");
  if (!userId || !msgType) return refuse(400, "wecom: message without FromUserName or MsgType");
  const chatId = field("ChatId");
  const sender = { platform: "wecom" as const, userId, ...(chatId ? { roomId: chatId } : {}) };
  const replyTo = { platform: "wecom" as const, userId, ...(chatId ? { chatId } : {}) };

  if (msgType === "text") {
    const msgId = field("MsgId");
    const content = fields.Content;
    if (!msgId || content === undefined) return refuse(400, "wecom: text message without MsgId or Content");
    return accept({ kind: "command", eventId: msgId, sender, text: content.trim(), replyTo });
  }
  if (msgType === "event" && field("Event") === "template_card_event") {
    const confirmationId = confirmationIdOf(field("EventKey"));
    if (!confirmationId) return ignore("wecom: card button that is not a confirmation");
    const taskId = field("TaskId") ?? "";
    // A card event has no MsgId; WeCom suggests FromUserName + CreateTime, the task and key make it exact.
    const eventId = `card:${taskId}:${userId}:${field("CreateTime") ?? ""}:${confirmationId}`;
    return accept({ kind: "confirm", eventId, sender, confirmationId, replyTo });
  }
  return ignore(`wecom: ${msgType === "event" ? `event ${field("Event") ?? "?"}` : `${msgType} message`}`);
}

/**
 * The top-level fields of a WeCom XML message (`<xml><Name>value</Name>…</xml>`), CDATA or plain
 * text; nested elements are skipped. A small reader rather than a regex search, so that a field
 * quoted inside a user's CDATA text can never stand in for the real one. `undefined` if not XML.
 */
export function readWeComXml(xml: string): Record<string, string> | undefined {
  const root = readElement(xml, skipSpace(xml, 0), 0);
  if (root?.name !== "xml" || skipSpace(xml, root.end) !== xml.length) return undefined;
  return root.fields;
}

interface XmlElement {
  name: string;
  text: string;
  fields: Record<string, string>;
  end: number;
}

const MAX_XML_DEPTH = 8;
const OPEN_TAG = /<([A-Za-z_][\w.-]*)(\/?)>/y;

function readElement(xml: string, start: number, depth: number): XmlElement | undefined {
  if (depth > MAX_XML_DEPTH) return undefined;
  OPEN_TAG.lastIndex = start;
  const open = OPEN_TAG.exec(xml);
  if (!open) return undefined;
  const name = open[1]!;
  if (open[2] === "/") return { name, text: "", fields: Object.create(null), end: OPEN_TAG.lastIndex };
  const close = `</${name}>`;
  // No prototype: a field named like an Object.prototype member stays a plain field.
  const fields = Object.create(null) as Record<string, string>;
  let index = OPEN_TAG.lastIndex;
  let text = "";
  let sawCdata = false;
  while (index < xml.length) {
    if (xml.startsWith("<![CDATA[", index)) {
      const endOfCdata = xml.indexOf("]]>", index + 9);
      if (endOfCdata < 0) return undefined;
      text += xml.slice(index + 9, endOfCdata);
      sawCdata = true;
      index = endOfCdata + 3;
    } else if (xml.startsWith(close, index)) {
      return { name, text: sawCdata ? text : decodeEntities(text.trim()), fields, end: index + close.length };
    } else if (xml[index] === "<") {
      const child = readElement(xml, index, depth + 1);
      if (!child) return undefined;
      if (!(child.name in fields)) fields[child.name] = child.text;
      index = child.end;
    } else {
      const next = xml.indexOf("<", index);
      if (next < 0) return undefined;
      if (!sawCdata) text += xml.slice(index, next);
      index = next;
    }
  }
  return undefined;
}

function skipSpace(text: string, index: number): number {
  let at = index;
  while (at < text.length && /\s/.test(text[at]!)) at += 1;
  return at;
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos);/g, (_, entity: string) => ENTITIES[entity]!);
}

// ---- Signers and builders: requests as WeCom would send them (tests and `qfhk chat`). ----

export interface WeComSigning {
  token: string;
  encodingAesKey: string;
  corpId: string;
  timestampS: number;
  nonce?: string;
  /** The 16 random bytes before the message (random when omitted). */
  random?: Buffer;
  path?: string;
}

/** The query and XML body WeCom would POST for this (plaintext XML) message. */
export function signWeComRequest(input: Omit<WeComSigning, "path"> & { message: string; agentId?: string }): {
  query: Record<string, string>;
  body: Buffer;
} {
  const timestamp = String(input.timestampS);
  const nonce = input.nonce ?? String(randomBytes(4).readUInt32BE(0));
  const encrypted = encryptWeComMessage({ ...input, message: input.message });
  const body =
    `<xml><ToUserName><![CDATA[${input.corpId}]]></ToUserName>` +
    `<Encrypt><![CDATA[${encrypted}]]></Encrypt>` +
    `<AgentID><![CDATA[${input.agentId ?? ""}]]></AgentID></xml>`;
  return {
    query: { msg_signature: weComSignature(input.token, timestamp, nonce, encrypted), timestamp, nonce },
    body: Buffer.from(body, "utf8"),
  };
}

function weComPost(options: WeComSigning, message: string, agentId: string): RawHttpRequest {
  const { query, body } = signWeComRequest({ ...options, message, agentId });
  return rawRequest({
    path: options.path ?? "/chat/wecom",
    headers: { "content-type": "text/xml" },
    query,
    body,
  });
}

function cdata(value: string): string {
  // "]]>" cannot appear inside CDATA: split it across two sections.
  return `<![CDATA[${value.replaceAll("]]>", "]]]]><![CDATA[>")}]]>`;
}

/** A signed, encrypted text message to the app (`MsgId`, `FromUserName`, optional `ChatId`). */
export function weComTextMessage(
  text: string,
  options: WeComSigning & { msgId?: string; userId?: string; chatId?: string; agentId?: string },
): RawHttpRequest {
  const agentId = options.agentId ?? "1000002";
  const message =
    `<xml><ToUserName>${cdata(options.corpId)}</ToUserName>` +
    `<FromUserName>${cdata(options.userId ?? "operator")}</FromUserName>` +
    `<CreateTime>${options.timestampS}</CreateTime>` +
    `<MsgType>${cdata("text")}</MsgType>` +
    `<Content>${cdata(text)}</Content>` +
    `<MsgId>${options.msgId ?? `${options.timestampS}000001`}</MsgId>` +
    `<AgentID>${agentId}</AgentID>` +
    (options.chatId ? `<ChatId>${cdata(options.chatId)}</ChatId>` : "") +
    "</xml>";
  return weComPost(options, message, agentId);
}

/** A signed `template_card_event`: the user pressed the button whose key is `confirm:<id>`. */
export function weComConfirmRequest(
  confirmationId: string,
  options: WeComSigning & { userId?: string; taskId?: string; agentId?: string },
): RawHttpRequest {
  const agentId = options.agentId ?? "1000002";
  const message =
    `<xml><ToUserName>${cdata(options.corpId)}</ToUserName>` +
    `<FromUserName>${cdata(options.userId ?? "operator")}</FromUserName>` +
    `<CreateTime>${options.timestampS}</CreateTime>` +
    `<MsgType>${cdata("event")}</MsgType>` +
    `<Event>${cdata("template_card_event")}</Event>` +
    `<EventKey>${cdata(`confirm:${confirmationId}`)}</EventKey>` +
    `<TaskId>${cdata(options.taskId ?? `task-${confirmationId}`)}</TaskId>` +
    `<CardType>${cdata("button_interaction")}</CardType>` +
    `<ResponseCode>${cdata("response-code")}</ResponseCode>` +
    `<AgentID>${agentId}</AgentID>` +
    "</xml>";
  return weComPost(options, message, agentId);
}

/** The GET WeCom sends when the callback URL is saved: answer with `plaintext`. */
export function weComUrlVerification(plaintext: string, options: WeComSigning): RawHttpRequest {
  const timestamp = String(options.timestampS);
  const nonce = options.nonce ?? String(randomBytes(4).readUInt32BE(0));
  const echostr = encryptWeComMessage({ ...options, message: plaintext });
  return rawRequest({
    method: "GET",
    path: options.path ?? "/chat/wecom",
    query: {
      msg_signature: weComSignature(options.token, timestamp, nonce, echostr),
      timestamp,
      nonce,
      echostr,
    },
  });
}
