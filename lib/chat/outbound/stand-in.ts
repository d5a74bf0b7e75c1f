import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Clock } from "../../engine/clock";
import type { ChatPlatform } from "../types";
import { apiBaseUnder } from "./replies-url";
import type { ApiBase } from "./reply";

/** The routes the stand-in answers. */
export type StandInRoute =
  | "slack.response"
  | "slack.postMessage"
  | "dingtalk.session"
  | "dingtalk.token"
  | "dingtalk.card"
  | "feishu.token"
  | "feishu.message"
  | "feishu.reply"
  | "wecom.token"
  | "wecom.message"
  | "wecom.appchat"
  | "bot.slack"
  | "bot.feishu"
  | "bot.dingtalk"
  | "bot.wecom"
  | "unknown";

/**
 * One request as the stand-in saw it, for tests and for `qfhk chat` to print. Credentials are
 * replaced with `[redacted]`: the Authorization and DingTalk access-token headers, `access_token`,
 * `corpsecret` and `key` query parameters and an `app_secret` or `appSecret` in a body.
 */
export interface StandInRecord {
  seq: number;
  /** The stand-in's clock at arrival (ISO). */
  at: string;
  platform: ChatPlatform | "unknown";
  route: StandInRoute;
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  status: number;
  /** What the stand-in answered (parsed JSON or text). */
  answer: unknown;
}

export interface ChatStandInOptions {
  host?: string;
  port?: number;
  /** The clock for token lifetimes and signature windows; default the system clock. */
  now?: Clock;
  /** Lifetime of the tokens it issues (default 7,200 s, as Feishu and WeCom give). */
  tokenTtlSeconds?: number;
  /** The Slack bot token `chat.postMessage` accepts; any `xoxb-` token when not given. */
  slackBotToken?: string;
  /** The DingTalk app (appKey, appSecret) its accessToken route accepts; any non-empty pair when not given. */
  dingtalkApp?: { appKey: string; appSecret: string };
  /** The Feishu app it accepts; any non-empty pair when not given. */
  feishuApp?: { appId: string; appSecret: string };
  /** The WeCom app it accepts; any non-empty pair when not given. */
  wecomApp?: { corpId: string; corpSecret: string };
  /** WeCom user ids `message/send` reports as `invaliduser`. */
  unknownWeComUsers?: readonly string[];
  /** Called with each finished record. */
  onRequest?: (record: StandInRecord) => void;
}

export interface ChatStandIn {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  received: StandInRecord[];
  /** What to give `sendReply` as `apiBase`. */
  apiBase: Required<ApiBase>;
  /** A new Slack response_url (five uses, as Slack allows). */
  slackResponseUrl(id?: string): string;
  /** A new DingTalk sessionWebhook; refused after `expiresAtMs` on the stand-in's clock. */
  dingtalkSessionWebhook(options?: { id?: string; expiresAtMs?: number }): string;
  /** A custom bot's webhook URL; with `secret`, Feishu and DingTalk bots check signatures. */
  addBot(platform: ChatPlatform, options?: { id?: string; secret?: string }): string;
  /** The next requests to `route` get these HTTP statuses (0 = the connection is dropped). */
  failNext(route: StandInRoute, statuses: number[]): void;
  /** Tokens issued so far, per platform. */
  tokensIssued: { feishu: number; wecom: number; dingtalk: number };
  close(): Promise<void>;
}

/** The platforms sign within an hour either way. */
const SIGNATURE_WINDOW_MS = 3_600_000;
const MAX_BODY_BYTES = 1024 * 1024;
const SLACK_RESPONSE_USES = 5;

const DINGTALK_TYPES = new Set(["text", "link", "markdown", "actionCard", "feedCard"]);
const FEISHU_TYPES = new Set([
  "text",
  "post",
  "image",
  "file",
  "audio",
  "media",
  "sticker",
  "interactive",
  "share_chat",
  "share_user",
]);
const FEISHU_ID_TYPES = new Set(["open_id", "user_id", "union_id", "email", "chat_id"]);
const WECOM_APP_TYPES = new Set([
  "text",
  "image",
  "voice",
  "video",
  "file",
  "textcard",
  "news",
  "mpnews",
  "markdown",
  "template_card",
]);
const WECOM_CHAT_TYPES = new Set([
  "text",
  "image",
  "voice",
  "video",
  "file",
  "textcard",
  "news",
  "mpnews",
  "markdown",
]);
const WECOM_BOT_TYPES = new Set([
  "text",
  "markdown",
  "markdown_v2",
  "image",
  "news",
  "file",
  "voice",
  "template_card",
]);

/** Method, path, route and platform; a capture group is the id in the path. */
const ROUTES: ReadonlyArray<readonly [string, RegExp, StandInRoute, ChatPlatform]> = [
  ["POST", /^\/slack\/response\/([^/]+)$/, "slack.response", "slack"],
  ["POST", /^\/slack\/api\/chat\.postMessage$/, "slack.postMessage", "slack"],
  ["POST", /^\/dingtalk\/session\/([^/]+)$/, "dingtalk.session", "dingtalk"],
  ["POST", /^\/dingtalk\/api\/v1\.0\/oauth2\/accessToken$/, "dingtalk.token", "dingtalk"],
  ["POST", /^\/dingtalk\/api\/v1\.0\/im\/v1\.0\/robot\/interactiveCards\/send$/, "dingtalk.card", "dingtalk"],
  ["POST", /^\/feishu\/open-apis\/auth\/v3\/tenant_access_token\/internal$/, "feishu.token", "feishu"],
  ["POST", /^\/feishu\/open-apis\/im\/v1\/messages$/, "feishu.message", "feishu"],
  ["POST", /^\/feishu\/open-apis\/im\/v1\/messages\/([^/]+)\/reply$/, "feishu.reply", "feishu"],
  ["GET", /^\/wecom\/cgi-bin\/gettoken$/, "wecom.token", "wecom"],
  ["POST", /^\/wecom\/cgi-bin\/message\/send$/, "wecom.message", "wecom"],
  ["POST", /^\/wecom\/cgi-bin\/appchat\/send$/, "wecom.appchat", "wecom"],
  ["POST", /^\/bots\/slack\/([^/]+)$/, "bot.slack", "slack"],
  ["POST", /^\/bots\/feishu\/([^/]+)$/, "bot.feishu", "feishu"],
  ["POST", /^\/bots\/dingtalk\/send$/, "bot.dingtalk", "dingtalk"],
  ["POST", /^\/bots\/wecom\/send$/, "bot.wecom", "wecom"],
];

type Json = Record<string, unknown>;
interface Reply {
  status: number;
  body: Json | string;
}

const json = (body: Json, status = 200): Reply => ({ status, body });
const newId = () => randomBytes(12).toString("hex");
type TokenPlatform = "feishu" | "wecom" | "dingtalk";

/** Equal strings, compared in constant time. */
function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** Whether a markdown/text body of DingTalk's message types is complete. */
function dingTalkBodyProblem(body: Json): string | undefined {
  const type = body.msgtype;
  if (typeof type !== "string" || !DINGTALK_TYPES.has(type)) return "msgtype is missing or unknown";
  const part = body[type] as Json | undefined;
  if (!part || typeof part !== "object") return `${type} is missing`;
  if (type === "markdown" && (typeof part.title !== "string" || typeof part.text !== "string"))
    return "markdown needs title and text";
  if (type === "actionCard" && (typeof part.title !== "string" || typeof part.text !== "string"))
    return "actionCard needs title and text";
  return undefined;
}

/**
 * A local stand-in for the chat platforms' outgoing routes: Slack response_urls, chat.postMessage
 * and incoming webhooks, DingTalk sessionWebhooks, access tokens, interactive cards and custom bots, Feishu's token and message APIs and custom
 * bots, WeCom's gettoken, message/send, appchat/send and group bots. It checks what the real ones
 * check — bot signatures and their one-hour window, the app credentials, the tokens it issued and
 * their lifetime, the message shapes and WeCom's markdown size — answers as they do (`{code: 0}`,
 * `{errcode: 0}`, `ok`), and records every request with its credentials redacted.
 */
export async function startChatStandIn(options: ChatStandInOptions = {}): Promise<ChatStandIn> {
  const now = options.now ?? (() => new Date());
  const ttlMs = (options.tokenTtlSeconds ?? 7200) * 1000;
  const received: StandInRecord[] = [];
  const tokens = new Map<string, { platform: TokenPlatform; expiresAtMs: number }>();
  const slackResponses = new Map<string, { uses: number }>();
  const sessions = new Map<string, { expiresAtMs?: number }>();
  const bots = new Map<string, { secret?: string }>();
  const faults = new Map<StandInRoute, number[]>();
  const tokensIssued = { feishu: 0, wecom: 0, dingtalk: 0 };
  const unknownUsers = new Set(options.unknownWeComUsers ?? []);
  let seq = 0;

  const issueToken = (platform: TokenPlatform) => {
    const token = `${platform === "feishu" ? "t-" : ""}standin-${newId()}`;
    tokens.set(token, { platform, expiresAtMs: now().getTime() + ttlMs });
    tokensIssued[platform] += 1;
    return token;
  };

  /** "ok", "missing", "invalid" or "expired" for a token the stand-in should have issued. */
  const tokenState = (platform: TokenPlatform, token: string | undefined) => {
    if (!token) return "missing";
    const held = tokens.get(token);
    if (!held || held.platform !== platform) return "invalid";
    return held.expiresAtMs > now().getTime() ? "ok" : "expired";
  };

  // -------------------------------------------------------------------------------- handlers

  const slackResponse = (id: string, body: unknown): Reply => {
    const held = slackResponses.get(id);
    if (!held) return { status: 404, body: "no_service" };
    if (held.uses >= SLACK_RESPONSE_USES) return { status: 404, body: "used_url" };
    if (!body || typeof body !== "object") return { status: 400, body: "invalid_payload" };
    const message = body as Json;
    if (
      message.response_type !== undefined &&
      !["ephemeral", "in_channel"].includes(String(message.response_type))
    )
      return { status: 400, body: "invalid_response_type" };
    if (typeof message.text !== "string" && !Array.isArray(message.blocks))
      return { status: 400, body: "no_text" };
    held.uses += 1;
    return { status: 200, body: "ok" };
  };

  // Slack's Web API answers HTTP 200 with `ok: false` and an error name for every refusal.
  const slackPostMessage = (headers: IncomingMessage["headers"], body: unknown): Reply => {
    const bearer = /^Bearer (.+)$/.exec(String(headers.authorization ?? ""))?.[1];
    if (!bearer) return json({ ok: false, error: "not_authed" });
    const known = options.slackBotToken;
    if (known ? !sameText(bearer, known) : !bearer.startsWith("xoxb-"))
      return json({ ok: false, error: "invalid_auth" });
    if (!body || typeof body !== "object") return json({ ok: false, error: "invalid_arguments" });
    const message = body as Json;
    if (typeof message.channel !== "string" || !message.channel)
      return json({ ok: false, error: "channel_not_found" });
    if (typeof message.text !== "string" && !Array.isArray(message.blocks))
      return json({ ok: false, error: "no_text" });
    if (message.thread_ts !== undefined && !/^\d+\.\d+$/.test(String(message.thread_ts)))
      return json({ ok: false, error: "invalid_thread_ts" });
    const ts = `${Math.floor(now().getTime() / 1000)}.${String(seq).padStart(6, "0")}`;
    return json({
      ok: true,
      channel: message.channel,
      ts,
      message: { type: "message", text: message.text, ts },
    });
  };

  const dingtalkSession = (id: string, body: unknown): Reply => {
    const held = sessions.get(id);
    if (!held) return json({ errcode: 300001, errmsg: "session is not exist" });
    if (held.expiresAtMs !== undefined && held.expiresAtMs <= now().getTime())
      return json({ errcode: 300002, errmsg: "session is expired" });
    if (!body || typeof body !== "object") return json({ errcode: 40035, errmsg: "missing parameter json" });
    const problem = dingTalkBodyProblem(body as Json);
    if (problem) return json({ errcode: 40035, errmsg: problem });
    return json({ errcode: 0, errmsg: "ok" });
  };

  // DingTalk's new API (api.dingtalk.com) refuses with an HTTP status and {code, message}.
  const dingtalkToken = (body: unknown): Reply => {
    const { appKey, appSecret } = (body ?? {}) as Json;
    if (typeof appKey !== "string" || typeof appSecret !== "string" || !appKey || !appSecret)
      return json({ code: "MissingParameter", message: "appKey and appSecret are required" }, 400);
    const app = options.dingtalkApp;
    if (app && (!sameText(appKey, app.appKey) || !sameText(appSecret, app.appSecret)))
      return json({ code: "invalidClientIdOrSecret", message: "invalid appKey or appSecret" }, 400);
    return json({ accessToken: issueToken("dingtalk"), expireIn: ttlMs / 1000 });
  };

  const dingtalkCard = (headers: IncomingMessage["headers"], body: unknown): Reply => {
    const state = tokenState("dingtalk", String(headers["x-acs-dingtalk-access-token"] ?? "") || undefined);
    if (state !== "ok") return json({ code: "InvalidAuthentication", message: `access token ${state}` }, 401);
    const card = (body ?? {}) as Json;
    for (const field of ["cardTemplateId", "openConversationId", "robotCode", "cardBizId", "cardData"]) {
      if (typeof card[field] !== "string" || !card[field])
        return json({ code: "param.invalid", message: `${field} is required` }, 400);
    }
    try {
      const data: unknown = JSON.parse(card.cardData as string);
      if (!data || typeof data !== "object") throw new Error("not an object");
    } catch {
      return json({ code: "param.invalid", message: "cardData is not JSON" }, 400);
    }
    return json({ processQueryKey: newId() });
  };

  const feishuToken = (body: unknown): Reply => {
    const { app_id: appId, app_secret: appSecret } = (body ?? {}) as Json;
    if (typeof appId !== "string" || typeof appSecret !== "string" || !appId || !appSecret)
      return json({ code: 10003, msg: "invalid param" }, 400);
    const app = options.feishuApp;
    if (app && (!sameText(appId, app.appId) || !sameText(appSecret, app.appSecret)))
      return json({ code: 10014, msg: "app secret invalid" }, 400);
    return json({ code: 0, msg: "ok", tenant_access_token: issueToken("feishu"), expire: ttlMs / 1000 });
  };

  const feishuMessage = (
    headers: IncomingMessage["headers"],
    query: URLSearchParams,
    body: unknown,
    replyTo?: string,
  ): Reply => {
    const bearer = /^Bearer (.+)$/.exec(String(headers.authorization ?? ""))?.[1];
    const state = tokenState("feishu", bearer);
    if (state !== "ok") {
      return json(
        {
          code: state === "expired" ? 99991663 : 99991661,
          msg:
            state === "missing"
              ? "Missing access token for authorization."
              : "Invalid access token for authorization.",
        },
        400,
      );
    }
    const message = (body ?? {}) as Json;
    if (!replyTo) {
      if (!FEISHU_ID_TYPES.has(query.get("receive_id_type") ?? ""))
        return json({ code: 99992402, msg: "field validation failed: receive_id_type" }, 400);
      if (typeof message.receive_id !== "string" || !message.receive_id)
        return json({ code: 99992402, msg: "field validation failed: receive_id" }, 400);
    }
    if (typeof message.msg_type !== "string" || !FEISHU_TYPES.has(message.msg_type))
      return json({ code: 99992402, msg: "field validation failed: msg_type" }, 400);
    if (typeof message.content !== "string")
      return json({ code: 99992402, msg: "field validation failed: content" }, 400);
    try {
      const content: unknown = JSON.parse(message.content);
      if (!content || typeof content !== "object") throw new Error("not an object");
    } catch {
      return json(
        { code: 230001, msg: "Your request contains an invalid request parameter: content is not JSON." },
        400,
      );
    }
    return json({
      code: 0,
      msg: "success",
      data: {
        message_id: `om_${newId()}`,
        msg_type: message.msg_type,
        ...(replyTo ? { parent_id: replyTo } : { chat_id: message.receive_id }),
        create_time: String(now().getTime()),
      },
    });
  };

  const wecomToken = (query: URLSearchParams): Reply => {
    const corpId = query.get("corpid") ?? "";
    const corpSecret = query.get("corpsecret") ?? "";
    if (!corpId) return json({ errcode: 41002, errmsg: "corpid missing" });
    if (!corpSecret) return json({ errcode: 41004, errmsg: "corpsecret missing" });
    const app = options.wecomApp;
    if (app && !sameText(corpId, app.corpId)) return json({ errcode: 40013, errmsg: "invalid corpid" });
    if (app && !sameText(corpSecret, app.corpSecret))
      return json({ errcode: 40001, errmsg: "invalid credential" });
    return json({ errcode: 0, errmsg: "ok", access_token: issueToken("wecom"), expires_in: ttlMs / 1000 });
  };

  const wecomTokenProblem = (query: URLSearchParams): Reply | undefined => {
    const state = tokenState("wecom", query.get("access_token") ?? undefined);
    if (state === "missing") return json({ errcode: 41001, errmsg: "access_token missing" });
    if (state === "invalid") return json({ errcode: 40014, errmsg: "invalid access_token" });
    if (state === "expired") return json({ errcode: 42001, errmsg: "access_token expired" });
    return undefined;
  };

  const wecomMarkdownProblem = (message: Json, maxBytes: number): Reply | undefined => {
    if (message.msgtype !== "markdown") return undefined;
    const content = (message.markdown as Json | undefined)?.content;
    if (typeof content !== "string" || content === "")
      return json({ errcode: 41016, errmsg: "content missing" });
    if (Buffer.byteLength(content, "utf8") > maxBytes)
      return json({ errcode: 40058, errmsg: `markdown.content exceed max length ${maxBytes}` });
    return undefined;
  };

  const wecomMessage = (query: URLSearchParams, body: unknown): Reply => {
    const problem = wecomTokenProblem(query);
    if (problem) return problem;
    const message = (body ?? {}) as Json;
    if (typeof message.touser !== "string" || !message.touser)
      return json({ errcode: 40031, errmsg: "invalid user list" });
    if (typeof message.agentid !== "number" || !Number.isInteger(message.agentid))
      return json({ errcode: 40056, errmsg: "invalid agentid" });
    if (typeof message.msgtype !== "string" || !WECOM_APP_TYPES.has(message.msgtype))
      return json({ errcode: 40008, errmsg: "invalid message type" });
    const markdown = wecomMarkdownProblem(message, 2048);
    if (markdown) return markdown;
    if (message.msgtype === "template_card") {
      const card = message.template_card as Json | undefined;
      if (
        !card ||
        typeof card.card_type !== "string" ||
        typeof card.task_id !== "string" ||
        !/^[A-Za-z0-9_@-]{1,128}$/.test(card.task_id)
      )
        return json({ errcode: 40058, errmsg: "template_card card_type or task_id invalid" });
    }
    const invalid = message.touser.split("|").filter((user) => unknownUsers.has(user));
    return json({
      errcode: 0,
      errmsg: "ok",
      invaliduser: invalid.join("|"),
      msgid: newId(),
      ...(message.msgtype === "template_card" ? { response_code: newId() } : {}),
    });
  };

  const wecomAppChat = (query: URLSearchParams, body: unknown): Reply => {
    const problem = wecomTokenProblem(query);
    if (problem) return problem;
    const message = (body ?? {}) as Json;
    if (typeof message.chatid !== "string" || !message.chatid)
      return json({ errcode: 86003, errmsg: "invalid chatid" });
    if (typeof message.msgtype !== "string" || !WECOM_CHAT_TYPES.has(message.msgtype))
      return json({ errcode: 40008, errmsg: "invalid message type" });
    return wecomMarkdownProblem(message, 2048) ?? json({ errcode: 0, errmsg: "ok" });
  };

  const slackBot = (id: string, body: unknown): Reply => {
    if (!bots.has(`slack:${id}`)) return { status: 404, body: "no_service" };
    if (!body || typeof body !== "object") return { status: 400, body: "invalid_payload" };
    const message = body as Json;
    if (typeof message.text !== "string" && !Array.isArray(message.blocks))
      return { status: 400, body: "no_text" };
    return { status: 200, body: "ok" };
  };

  const feishuBot = (id: string, body: unknown): Reply => {
    const bot = bots.get(`feishu:${id}`);
    if (!bot) return json({ code: 19001, msg: "param invalid: incoming webhook access token invalid" });
    const message = (body ?? {}) as Json;
    if (bot.secret) {
      // Feishu keys the HMAC with "timestamp\nsecret" and signs an empty message; seconds.
      const timestamp = String(message.timestamp ?? "");
      const seconds = /^\d{1,12}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      const fresh = Math.abs(now().getTime() - seconds * 1000) <= SIGNATURE_WINDOW_MS;
      const expected = createHmac("sha256", `${timestamp}\n${bot.secret}`).update("").digest("base64");
      if (!fresh || typeof message.sign !== "string" || !sameText(message.sign, expected))
        return json({
          code: 19021,
          msg: "sign match fail or timestamp is not within one hour from current time",
        });
    }
    if (typeof message.msg_type !== "string" || !FEISHU_TYPES.has(message.msg_type))
      return json({ code: 19002, msg: "params error, msg_type need" });
    if (message.msg_type === "interactive" && (!message.card || typeof message.card !== "object"))
      return json({ code: 19002, msg: "params error, card need" });
    return json({ code: 0, msg: "success", data: {} });
  };

  const dingtalkBot = (query: URLSearchParams, body: unknown): Reply => {
    const bot = bots.get(`dingtalk:${query.get("access_token") ?? ""}`);
    if (!bot) return json({ errcode: 300001, errmsg: "token is not exist" });
    if (bot.secret) {
      // DingTalk keys the HMAC with the secret and signs "timestamp\nsecret"; milliseconds.
      const timestamp = query.get("timestamp") ?? "";
      const sign = query.get("sign") ?? "";
      const ms = /^\d{1,15}$/.test(timestamp) ? Number(timestamp) : Number.NaN;
      if (!(Math.abs(now().getTime() - ms) <= SIGNATURE_WINDOW_MS))
        return json({ errcode: 310000, errmsg: "invalid timestamp" });
      const expected = createHmac("sha256", bot.secret)
        .update(`${timestamp}\n${bot.secret}`)
        .digest("base64");
      if (!sameText(sign, expected)) return json({ errcode: 310000, errmsg: "sign not match" });
    }
    if (!body || typeof body !== "object") return json({ errcode: 40035, errmsg: "missing parameter json" });
    const problem = dingTalkBodyProblem(body as Json);
    return problem ? json({ errcode: 40035, errmsg: problem }) : json({ errcode: 0, errmsg: "ok" });
  };

  const wecomBot = (query: URLSearchParams, body: unknown): Reply => {
    if (!bots.has(`wecom:${query.get("key") ?? ""}`))
      return json({ errcode: 93000, errmsg: "invalid webhook url" });
    const message = (body ?? {}) as Json;
    if (typeof message.msgtype !== "string" || !WECOM_BOT_TYPES.has(message.msgtype))
      return json({ errcode: 40008, errmsg: "invalid message type" });
    return wecomMarkdownProblem(message, 4096) ?? json({ errcode: 0, errmsg: "ok" });
  };

  // --------------------------------------------------------------------------------- routing

  const routeOf = (
    method: string,
    path: string,
  ): { route: StandInRoute; platform: StandInRecord["platform"]; id?: string } => {
    for (const [verb, pattern, route, platform] of ROUTES) {
      const match = verb === method ? pattern.exec(path) : null;
      if (match) return { route, platform, id: match[1] };
    }
    return { route: "unknown", platform: "unknown" };
  };

  const answerOf = (
    route: StandInRoute,
    id: string | undefined,
    headers: IncomingMessage["headers"],
    query: URLSearchParams,
    body: unknown,
  ): Reply => {
    const key = decodeURIComponent(id ?? "");
    switch (route) {
      case "slack.response":
        return slackResponse(key, body);
      case "slack.postMessage":
        return slackPostMessage(headers, body);
      case "dingtalk.session":
        return dingtalkSession(key, body);
      case "dingtalk.token":
        return dingtalkToken(body);
      case "dingtalk.card":
        return dingtalkCard(headers, body);
      case "feishu.token":
        return feishuToken(body);
      case "feishu.message":
        return feishuMessage(headers, query, body);
      case "feishu.reply":
        return feishuMessage(headers, query, body, key);
      case "wecom.token":
        return wecomToken(query);
      case "wecom.message":
        return wecomMessage(query, body);
      case "wecom.appchat":
        return wecomAppChat(query, body);
      case "bot.slack":
        return slackBot(key, body);
      case "bot.feishu":
        return feishuBot(key, body);
      case "bot.dingtalk":
        return dingtalkBot(query, body);
      case "bot.wecom":
        return wecomBot(query, body);
      case "unknown":
        return { status: 404, body: "not found" };
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const arrived = now();
    const url = new URL(request.url ?? "/", "http://stand-in");
    const method = request.method ?? "GET";
    const { route, platform, id } = routeOf(method, url.pathname);
    let text = "";
    let tooLarge = false;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of request) {
        size += (chunk as Buffer).length;
        if (size > MAX_BODY_BYTES) {
          tooLarge = true;
          break;
        }
        chunks.push(chunk as Buffer);
      }
      text = Buffer.concat(chunks).toString("utf8");
    } catch {
      response.destroy();
      return;
    }
    let body: unknown = text;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      // Kept as text: each route refuses a body it cannot read, as the platform would.
    }
    const record = (status: number, answer: unknown) => {
      const entry: StandInRecord = {
        seq: ++seq,
        at: arrived.toISOString(),
        platform,
        route,
        method,
        path: url.pathname,
        query: redactedQuery(url.searchParams),
        headers: redactedHeaders(request.headers),
        body: redactedBody(body),
        status,
        answer,
      };
      received.push(entry);
      options.onRequest?.(entry);
    };
    const fault = faults.get(route)?.shift();
    if (fault !== undefined) {
      record(fault, "injected");
      if (fault === 0) {
        response.destroy();
        return;
      }
      response.writeHead(fault, { "content-type": "text/plain" }).end("injected failure");
      return;
    }
    const reply: Reply = tooLarge
      ? { status: 413, body: "request entity too large" }
      : answerOf(route, id, request.headers, url.searchParams, body);
    record(reply.status, reply.body);
    const payload = typeof reply.body === "string" ? reply.body : JSON.stringify(reply.body);
    response
      .writeHead(reply.status, {
        "content-type":
          typeof reply.body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8",
      })
      .end(payload);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  return {
    url,
    received,
    apiBase: apiBaseUnder(url),
    tokensIssued,
    slackResponseUrl(id = newId()) {
      slackResponses.set(id, { uses: 0 });
      return `${url}/slack/response/${encodeURIComponent(id)}`;
    },
    dingtalkSessionWebhook(session = {}) {
      const id = session.id ?? newId();
      sessions.set(id, { expiresAtMs: session.expiresAtMs });
      return `${url}/dingtalk/session/${encodeURIComponent(id)}`;
    },
    addBot(platform, bot = {}) {
      const id = bot.id ?? newId();
      bots.set(`${platform}:${id}`, { secret: bot.secret });
      switch (platform) {
        case "slack":
          return `${url}/bots/slack/${encodeURIComponent(id)}`;
        case "feishu":
          return `${url}/bots/feishu/${encodeURIComponent(id)}`;
        case "dingtalk":
          return `${url}/bots/dingtalk/send?access_token=${encodeURIComponent(id)}`;
        case "wecom":
          return `${url}/bots/wecom/send?key=${encodeURIComponent(id)}`;
      }
    },
    failNext(route, statuses) {
      faults.set(route, [...(faults.get(route) ?? []), ...statuses]);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

const REDACTED = "[redacted]";
const SECRET_QUERY = new Set(["access_token", "corpsecret", "key"]);

function redactedQuery(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of params) out[name] = SECRET_QUERY.has(name) ? REDACTED : value;
  return out;
}

function redactedHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] =
      name === "authorization" || name === "cookie" || name === "x-acs-dingtalk-access-token"
        ? REDACTED
        : Array.isArray(value)
          ? value.join(", ")
          : value;
  }
  return out;
}

function redactedBody(body: unknown): unknown {
  if (!body || typeof body !== "object" || Array.isArray(body)) return body;
  const copy = { ...(body as Json) };
  if ("app_secret" in copy) copy.app_secret = REDACTED;
  if ("appSecret" in copy) copy.appSecret = REDACTED;
  return copy;
}
