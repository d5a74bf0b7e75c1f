import { createHmac } from "node:crypto";
import type { ChatSecrets, RawHttpRequest, VerifyResult } from "../types";
import {
  accept,
  confirmationIdOf,
  headerOf,
  ignore,
  isObject,
  parseJson,
  rawRequest,
  refuse,
  safeEqual,
  stringField,
} from "./common";

export type DingTalkSecrets = NonNullable<ChatSecrets["dingtalk"]>;

/**
 * DingTalk allows an hour; we keep five minutes, both ways, because the signature covers only the
 * timestamp: a captured header pair is replayable with any body while it is fresh.
 */
export const DINGTALK_MAX_SKEW_MS = 5 * 60 * 1000;

/**
 * The `sign` header of DingTalk's app robot (HTTP mode): base64(HMAC-SHA256(key = appSecret,
 * message = timestamp + "\n" + appSecret)), the timestamp in milliseconds.
 * @see https://open.dingtalk.com/document/orgapp/receive-message
 */
export function dingTalkSignature(appSecret: string, timestampMs: string): string {
  return createHmac("sha256", appSecret).update(`${timestampMs}\n${appSecret}`, "utf8").digest("base64");
}

/**
 * Verifies a message to DingTalk's app robot in HTTP mode (the `timestamp` and `sign` headers,
 * within five minutes) and maps a text message to a command. The signature does not cover the
 * body: de-duplicate on `msgId` and allow-list `senderStaffId`.
 * @see https://open.dingtalk.com/document/orgapp/receive-message
 */
export function verifyDingTalkRequest(
  request: RawHttpRequest,
  secrets: DingTalkSecrets,
  nowMs: number,
  options: { sessionWebhookBase?: string } = {},
): VerifyResult {
  const timestamp = headerOf(request, "timestamp");
  const sign = headerOf(request, "sign");
  if (!timestamp || !sign) return refuse(401, "dingtalk: timestamp or sign header missing");
  if (!/^\d{1,15}$/.test(timestamp))
    return refuse(401, "dingtalk: timestamp is not a number of milliseconds");
  if (Math.abs(nowMs - Number(timestamp)) > DINGTALK_MAX_SKEW_MS) {
    return refuse(401, "dingtalk: timestamp outside the five-minute window");
  }
  if (!safeEqual(sign, dingTalkSignature(secrets.appSecret, timestamp))) {
    return refuse(401, "dingtalk: sign does not match");
  }
  const body = parseJson(request.body.toString("utf8"));
  const sessionBase = options.sessionWebhookBase ?? DINGTALK_API_BASE;
  // Interactive-card callbacks come to the same URL, signed the same way, with no msgtype.
  if (isObject(body) && body.msgtype === undefined && typeof body.outTrackId === "string") {
    return mapDingTalkCardCallback(body, sessionBase, timestamp);
  }
  return mapDingTalkMessage(body, sessionBase);
}

/**
 * How our confirmation card and its callback look. What is documented: the robot sends a card with
 * POST /v1.0/im/v1.0/robot/interactiveCards/send (cardTemplateId "StandardCard", cardBizId,
 * robotCode, openConversationId, cardData), with an access token for appKey/appSecret. What is
 * assumed, all here: the button's `params` come back in `content.cardPrivateData.params` of a
 * callback to the robot's message URL with `outTrackId` and the presser's `userId`, signed with
 * the app robot's `timestamp`/`sign` headers (the only documented proof, so the only one accepted).
 * If it does not hold, the press is refused and the one-time code on the card still confirms.
 */
export const DINGTALK_CARD = {
  templateId: "StandardCard",
  /** The button's id, and the names of the params it carries back. */
  actionId: "confirm",
  params: { confirm: "confirm", session: "session", sessionExpiresAt: "sessionExpiresAt", room: "room" },
} as const;

/** The params a confirmation button carries, as the callback hands them back. */
export interface DingTalkCardParams {
  confirm: string;
  session: string;
  sessionExpiresAt?: number;
  room: string;
}

function mapDingTalkCardCallback(
  body: Record<string, unknown>,
  sessionBase: string,
  timestamp: string,
): VerifyResult {
  const outTrackId = stringField(body, "outTrackId")!;
  const userId = stringField(body, "userId");
  const content = typeof body.content === "string" ? parseJson(body.content) : body.content;
  const data = isObject(content) && isObject(content.cardPrivateData) ? content.cardPrivateData : undefined;
  const params = data && isObject(data.params) ? data.params : undefined;
  const actions = data && Array.isArray(data.actionIds) ? data.actionIds : [];
  if (!params || !actions.includes(DINGTALK_CARD.actionId))
    return ignore("dingtalk: card action that is not a confirmation");
  const confirmationId = confirmationIdOf(params[DINGTALK_CARD.params.confirm]);
  const sessionWebhook = stringField(params, DINGTALK_CARD.params.session);
  const room = stringField(body, "openConversationId") ?? stringField(params, DINGTALK_CARD.params.room);
  if (!confirmationId) return ignore("dingtalk: card action that is not a confirmation");
  if (!userId || !sessionWebhook || !room) {
    return refuse(400, "dingtalk: card callback without userId, session or conversation");
  }
  if (!isUnder(sessionWebhook, sessionBase)) {
    return refuse(400, "dingtalk: sessionWebhook is not a DingTalk address");
  }
  const expiresAtMs = Number(params[DINGTALK_CARD.params.sessionExpiresAt]);
  return accept({
    kind: "confirm",
    // A press has no id of its own: the card, the presser and the signed time name it.
    eventId: `card:${outTrackId}:${userId}:${timestamp}`,
    sender: { platform: "dingtalk", userId, roomId: room },
    confirmationId,
    replyTo: {
      platform: "dingtalk",
      sessionWebhook,
      ...(Number.isFinite(expiresAtMs) && expiresAtMs > 0 ? { expiresAtMs } : {}),
    },
  });
}

/** DingTalk's API, where every sessionWebhook lives. */
export const DINGTALK_API_BASE = "https://oapi.dingtalk.com";

/** True when `url` is `base` or below it (same origin, path under the base's). */
function isUnder(url: string, base: string): boolean {
  try {
    const u = new URL(url);
    const b = new URL(base);
    const root = b.pathname.replace(/\/+$/, "");
    return u.origin === b.origin && (u.pathname === root || u.pathname.startsWith(`${root}/`));
  } catch {
    return false;
  }
}

function mapDingTalkMessage(body: unknown, sessionBase: string): VerifyResult {
  if (!isObject(body)) return refuse(400, "dingtalk: body is not a JSON object");
  const msgId = stringField(body, "msgId");
  if (!msgId) return refuse(400, "dingtalk: message without msgId");
  if (body.msgtype !== "text") return ignore(`dingtalk: ${String(body.msgtype)} message`);
  const content = isObject(body.text) ? body.text.content : undefined;
  const sessionWebhook = stringField(body, "sessionWebhook");
  if (typeof content !== "string" || !sessionWebhook) {
    return refuse(400, "dingtalk: text message without text.content or sessionWebhook");
  }
  // The body (and so this URL) is not signed: only an address under DingTalk's API is answered
  // (sendReply checks it again before posting).
  if (!isUnder(sessionWebhook, sessionBase)) {
    return refuse(400, "dingtalk: sessionWebhook is not a DingTalk address");
  }
  // Only organisation members have a staff id; nobody else can be on an allow-list.
  const senderStaffId = stringField(body, "senderStaffId");
  if (!senderStaffId) return ignore("dingtalk: sender is not a member of the organisation");
  const conversationId = stringField(body, "conversationId");
  const robotCode = stringField(body, "robotCode");
  const expiresAtMs = body.sessionWebhookExpiredTime;
  return accept({
    kind: "command",
    eventId: msgId,
    sender: {
      platform: "dingtalk",
      userId: senderStaffId,
      ...(conversationId ? { roomId: conversationId } : {}),
    },
    // The @mention is not in the content, only the blank DingTalk leaves where it was.
    text: content.trim(),
    replyTo: {
      platform: "dingtalk",
      sessionWebhook,
      ...(typeof expiresAtMs === "number" && Number.isFinite(expiresAtMs) ? { expiresAtMs } : {}),
      // Where a confirmation card can go: group conversations of this robot.
      ...(conversationId && robotCode && body.conversationType === "2" ? { conversationId, robotCode } : {}),
    },
  });
}

// ---- Signers and builders: requests as DingTalk would send them (tests and `qfhk chat`). ----

export interface DingTalkSigning {
  appSecret: string;
  timestampMs: number;
}

/** The `timestamp` and `sign` headers DingTalk would send at this time. */
export function signDingTalkRequest(input: DingTalkSigning): Record<string, string> {
  const timestamp = String(input.timestampMs);
  return { timestamp, sign: dingTalkSignature(input.appSecret, timestamp) };
}

/** A signed text message to the app robot (`@robot <text>` in a group chat by default). */
export function dingTalkMessage(
  text: string,
  options: DingTalkSigning & {
    msgId?: string;
    senderStaffId?: string;
    conversationId?: string;
    conversationType?: "1" | "2";
    sessionWebhook?: string;
    sessionWebhookExpiredTime?: number;
    path?: string;
  },
): RawHttpRequest {
  const body = JSON.stringify({
    conversationId: options.conversationId ?? "cid0001",
    atUsers: [{ dingtalkId: "$:LWCP_v1:$robot" }],
    chatbotCorpId: "ding0001",
    chatbotUserId: "$:LWCP_v1:$robot",
    msgId: options.msgId ?? `msg${options.timestampMs}`,
    senderNick: "operator",
    isAdmin: false,
    ...(options.senderStaffId === "" ? {} : { senderStaffId: options.senderStaffId ?? "staff0001" }),
    sessionWebhookExpiredTime: options.sessionWebhookExpiredTime ?? options.timestampMs + 90 * 60 * 1000,
    createAt: options.timestampMs,
    senderCorpId: "ding0001",
    conversationType: options.conversationType ?? "2",
    senderId: "$:LWCP_v1:$sender",
    conversationTitle: "ops",
    isInAtList: true,
    sessionWebhook: options.sessionWebhook ?? "https://oapi.dingtalk.com/robot/sendBySession?session=abc123",
    // DingTalk leaves a blank where the @mention was.
    text: { content: ` ${text}` },
    robotCode: "ding0001robot",
    msgtype: "text",
  });
  return rawRequest({
    path: options.path ?? "/chat/dingtalk",
    headers: { "content-type": "application/json; charset=utf-8", ...signDingTalkRequest(options) },
    body,
  });
}

/** A signed interactive-card callback: the user pressed the Confirm button of our card. */
export function dingTalkCardCallback(
  params: DingTalkCardParams,
  options: DingTalkSigning & { userId?: string; outTrackId?: string; path?: string },
): RawHttpRequest {
  const body = JSON.stringify({
    outTrackId: options.outTrackId ?? `qfhk-${options.timestampMs}`,
    corpId: "ding0001",
    userId: options.userId ?? "staff0001",
    type: "actionCallback",
    content: JSON.stringify({ cardPrivateData: { actionIds: [DINGTALK_CARD.actionId], params } }),
  });
  return rawRequest({
    path: options.path ?? "/chat/dingtalk",
    headers: { "content-type": "application/json; charset=utf-8", ...signDingTalkRequest(options) },
    body,
  });
}
