import type { Clock } from "../../engine/clock";
import { DINGTALK_CARD } from "../platforms/dingtalk";
import type { ChatPlatform, ChatSecrets, ReplyTarget } from "../types";
import {
  type ChatMessage,
  capText,
  renderDingTalk,
  renderDingTalkCard,
  renderFeishuCard,
  renderSlack,
  renderWeComMarkdown,
  renderWeComTemplateCard,
} from "./message";

/**
 * Where each platform's APIs live. Every one can be replaced (tests and `qfhk chat` point them at
 * the local stand-in); Slack's and DingTalk's are where a response_url or sessionWebhook must
 * point, so a forged one cannot make the worker post elsewhere.
 */
export const DEFAULT_API_BASE = {
  feishu: "https://open.feishu.cn",
  wecom: "https://qyapi.weixin.qq.com",
  slack: "https://hooks.slack.com",
  slackApi: "https://slack.com/api",
  dingtalk: "https://oapi.dingtalk.com",
  dingtalkApi: "https://api.dingtalk.com",
} as const;

export type ApiBase = Partial<Record<keyof typeof DEFAULT_API_BASE, string>>;

/** The fetch the senders use: the global one, or a fake in tests. */
export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

/** How long one HTTP exchange may take, answer body included. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** A token is refreshed this long before the platform says it expires. */
export const TOKEN_MARGIN_MS = 5 * 60_000;

/**
 * A message could not be delivered. The message names the platform, the step and the platform's
 * code and words, and never a URL, token, secret or webhook key (those are also scrubbed from
 * anything the platform says back).
 */
export class ChatSendError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "ChatSendError";
  override name = "ChatSendError";
  readonly platform: ChatPlatform;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryable: boolean;

  constructor(
    platform: ChatPlatform,
    message: string,
    init: { status?: number; code?: string; retryable: boolean; cause?: unknown },
  ) {
    super(`${platform}: ${message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.platform = platform;
    this.status = init.status;
    this.code = init.code;
    this.retryable = init.retryable;
  }
}

export function isChatSendError(error: unknown): error is ChatSendError {
  return error instanceof ChatSendError;
}

/**
 * Access tokens (Feishu tenant_access_token, WeCom access_token) kept until shortly before they
 * expire, with one request in flight per key however many messages wait for it. Keys name the app
 * (`feishu:<appId>`), never its secret. A Lambda keeps one in module scope across warm invocations.
 */
export class TokenCache {
  readonly #tokens = new Map<string, { token: string; usableUntilMs: number }>();
  readonly #pending = new Map<string, Promise<string>>();

  constructor(readonly marginMs: number = TOKEN_MARGIN_MS) {}

  /** The cached token for `key`, or a new one from `issue` (lifetime in seconds, as the platforms give it). */
  async get(
    key: string,
    nowMs: () => number,
    issue: () => Promise<{ token: string; expiresInSeconds: number }>,
  ): Promise<string> {
    const held = this.#tokens.get(key);
    if (held && held.usableUntilMs > nowMs()) return held.token;
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const asked = nowMs();
    const request = issue()
      .then(({ token, expiresInSeconds }) => {
        const lifetimeMs = Math.max(0, expiresInSeconds) * 1000;
        // A lifetime shorter than twice the margin keeps half of it rather than none.
        const usableMs = Math.max(lifetimeMs - this.marginMs, lifetimeMs / 2);
        this.#tokens.set(key, { token, usableUntilMs: asked + usableMs });
        return token;
      })
      .finally(() => this.#pending.delete(key));
    this.#pending.set(key, request);
    return request;
  }

  /** Forgets a token the platform refused, so the next call asks for a new one. */
  invalidate(key: string): void {
    this.#tokens.delete(key);
  }
}

export interface ReplyDeps {
  fetch: FetchLike;
  secrets: ChatSecrets;
  apiBase?: ApiBase;
  tokenCache: TokenCache;
  now: Clock;
  timeoutMs?: number;
  /** Slack: who sees the answer; default `ephemeral` for a confirmation, else `in_channel`. */
  slackResponseType?: "ephemeral" | "in_channel";
}

/** What the platform said about a delivered reply. */
export interface ReplyResult {
  platform: ChatPlatform;
  /** The platform's id of the new message, when it gives one (Feishu, WeCom). */
  messageId?: string;
}

/**
 * Answers a command later, through the platform's "answer later" route: Slack's response_url,
 * DingTalk's sessionWebhook, Feishu's send-message API, WeCom's message/send or appchat/send.
 * Throws a {@link ChatSendError} when the platform refuses or cannot be reached.
 * https://api.slack.com/interactivity/handling#message_responses
 */
export async function sendReply(
  target: ReplyTarget,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  switch (target.platform) {
    case "slack":
      return replySlack(target, message, deps);
    case "dingtalk":
      return replyDingTalk(target, message, deps);
    case "feishu":
      return replyFeishu(target, message, deps);
    case "wecom":
      return replyWeCom(target, message, deps);
  }
}

// ------------------------------------------------------------------------------- HTTP, shared

/** One platform's answer, read in full. */
export interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** Replaces every secret-looking value in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join("[redacted]");
  }
  return out;
}

/** The words of a failure, as they may be shown: clean, short, with secrets scrubbed. */
function shown(text: string, secrets: readonly (string | undefined)[]): string {
  return capText(redact(text, secrets), 160);
}

/**
 * One HTTP exchange within `timeoutMs`, answer body included. Network errors and timeouts become a
 * retryable {@link ChatSendError} that says what happened without the URL (a webhook key, a token
 * or a session id may be in it).
 */
export async function exchange(
  platform: ChatPlatform,
  what: string,
  url: string | URL,
  init: RequestInit,
  options: { fetch: FetchLike; timeoutMs?: number },
): Promise<Answer> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const response = await options.fetch(url, { ...init, signal, redirect: "error" });
    const text = await response.text();
    return { status: response.status, text, json: parseObject(text) };
  } catch (error) {
    if (isChatSendError(error)) throw error;
    const name = error instanceof Error ? error.name : "Error";
    if (name === "TimeoutError" || (name === "AbortError" && signal.aborted)) {
      throw new ChatSendError(platform, `${what}: no answer within ${timeoutMs} ms`, {
        retryable: true,
        code: "Timeout",
      });
    }
    // Only the error's kind and system code: undici puts the URL in some messages.
    const code = networkCode(error);
    throw new ChatSendError(platform, `${what}: network error${code ? ` (${code})` : ""}`, {
      retryable: true,
      code: "NetworkError",
      cause: { name, code },
    });
  }
}

function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = cause?.code ?? (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[A-Z0-9_]{2,40}$/.test(code) ? code : undefined;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Platform codes that mean "later": rate limits and "system busy". */
const BUSY_CODES = new Set([
  // Feishu: frequency limits.
  "11232",
  "99991400",
  // WeCom: system busy, API frequency limit.
  "-1",
  "45009",
  // DingTalk: sending too fast.
  "130101",
]);

/**
 * Checks an answer the way the platforms report failure: HTTP status, then the JSON `code`
 * (Feishu), `errcode` (WeCom, DingTalk), `StatusCode` (older Feishu bots) or `ok: false` (Slack).
 * 429 and 5xx are retryable; so are the rate-limit codes.
 */
export function checkAnswer(
  platform: ChatPlatform,
  what: string,
  answer: Answer,
  secrets: readonly (string | undefined)[],
): Record<string, unknown> {
  const json = answer.json ?? {};
  const code = json.code ?? json.errcode ?? json.StatusCode;
  const failedByCode = code !== undefined && code !== 0 && code !== "0";
  const failedByOk = json.ok === false;
  const httpFailed = answer.status < 200 || answer.status >= 300;
  if (!httpFailed && !failedByCode && !failedByOk) return json;
  const words = [json.msg, json.errmsg, json.StatusMessage, json.error].find((w) => typeof w === "string") as
    | string
    | undefined;
  const detail = words ?? (answer.json ? "" : answer.text);
  const codeText = failedByCode ? String(code) : undefined;
  const retryable =
    answer.status === 429 || answer.status >= 500 || (codeText !== undefined && BUSY_CODES.has(codeText));
  const parts = [
    httpFailed ? `HTTP ${answer.status}` : undefined,
    codeText !== undefined ? `code ${codeText}` : undefined,
    detail ? shown(detail, secrets) : undefined,
  ].filter(Boolean);
  throw new ChatSendError(platform, `${what} refused: ${parts.join(", ")}`, {
    status: answer.status,
    code: codeText ?? (failedByOk ? shown(String(json.error ?? "not ok"), secrets) : undefined),
    retryable,
  });
}

/** POSTs JSON and checks the answer. */
async function postJson(
  platform: ChatPlatform,
  what: string,
  url: string | URL,
  body: unknown,
  deps: { fetch: FetchLike; timeoutMs?: number },
  secrets: readonly (string | undefined)[],
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const answer = await exchange(
    platform,
    what,
    url,
    {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8", ...headers },
      body: JSON.stringify(body),
    },
    deps,
  );
  return checkAnswer(platform, what, answer, secrets);
}

/** A base URL and a path, without doubling or losing the slash between them. */
export function joinUrl(base: string, path: string): URL {
  return new URL(`${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`);
}

/**
 * Refuses a URL a request handed us unless it lies under the platform's base: a response_url or
 * sessionWebhook is where the worker will post, so it must be the platform's.
 */
function assertUnder(platform: ChatPlatform, what: string, url: string, base: string): URL {
  let parsed: URL;
  let root: URL;
  try {
    parsed = new URL(url);
    root = new URL(base);
  } catch {
    throw new ChatSendError(platform, `the ${what} is not a URL`, { retryable: false, code: "BadTarget" });
  }
  const rootPath = root.pathname.replace(/\/+$/, "");
  const inside =
    parsed.origin === root.origin &&
    (parsed.pathname === rootPath || parsed.pathname.startsWith(`${rootPath}/`)) &&
    parsed.username === "" &&
    parsed.password === "";
  if (!inside) {
    throw new ChatSendError(platform, `the ${what} does not point at ${root.origin}; not sending`, {
      retryable: false,
      code: "BadTarget",
    });
  }
  return parsed;
}

// ---------------------------------------------------------------------------------- platforms

async function replySlack(
  target: Extract<ReplyTarget, { platform: "slack" }>,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  if (!target.responseUrl && target.channel)
    return postSlackMessage(target.channel, target.threadTs, message, deps);
  const url = assertUnder(
    "slack",
    "response_url",
    target.responseUrl,
    deps.apiBase?.slack ?? DEFAULT_API_BASE.slack,
  );
  const responseType = deps.slackResponseType ?? (message.confirm ? "ephemeral" : "in_channel");
  // The response_url itself is the credential: it is never put in an error or a log line.
  await postJson(
    "slack",
    "response_url",
    url,
    { response_type: responseType, ...renderSlack(message) },
    deps,
    [target.responseUrl, url.pathname],
  );
  return { platform: "slack" };
}

/**
 * An Events API message (an @mention) has no response_url: the answer is posted to its channel, in
 * its thread, with chat.postMessage and the bot token. https://api.slack.com/methods/chat.postMessage
 */
async function postSlackMessage(
  channel: string,
  threadTs: string | undefined,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  const token = deps.secrets.slack?.botToken;
  if (!token) {
    throw new ChatSendError("slack", "botToken is not configured; cannot answer an app mention", {
      retryable: false,
      code: "NotConfigured",
    });
  }
  const url = joinUrl(deps.apiBase?.slackApi ?? DEFAULT_API_BASE.slackApi, "chat.postMessage");
  const answer = await postJson(
    "slack",
    "chat.postMessage",
    url,
    { channel, ...(threadTs ? { thread_ts: threadTs } : {}), ...renderSlack(message) },
    deps,
    [token],
    { authorization: `Bearer ${token}` },
  );
  return { platform: "slack", ...(typeof answer.ts === "string" ? { messageId: answer.ts } : {}) };
}

async function replyDingTalk(
  target: Extract<ReplyTarget, { platform: "dingtalk" }>,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  if (target.expiresAtMs !== undefined && target.expiresAtMs <= deps.now().getTime()) {
    throw new ChatSendError(
      "dingtalk",
      `the sessionWebhook expired at ${new Date(target.expiresAtMs).toISOString()}; the reply cannot be sent`,
      { retryable: false, code: "SessionExpired" },
    );
  }
  const url = assertUnder(
    "dingtalk",
    "sessionWebhook",
    target.sessionWebhook,
    deps.apiBase?.dingtalk ?? DEFAULT_API_BASE.dingtalk,
  );
  const app = deps.secrets.dingtalk;
  if (message.confirm && app?.appKey && target.conversationId && target.robotCode) {
    try {
      return await sendDingTalkCard(target, message, deps);
    } catch (error) {
      // The actionCard below carries the one-time code: the confirmation still works without the card.
      if (!isChatSendError(error)) throw error;
    }
  }
  await postJson("dingtalk", "sessionWebhook", url, renderDingTalk(message), deps, [
    target.sessionWebhook,
    url.search.slice(1),
    ...url.searchParams.values(),
  ]);
  return { platform: "dingtalk" };
}

/**
 * A confirmation as an interactive card in the group (the robot's interactiveCards/send, with an
 * access token for appKey/appSecret): its button calls back with the confirmation id, the
 * sessionWebhook to answer on and the conversation. See DINGTALK_CARD for what is assumed.
 * https://open.dingtalk.com/document/orgapp/robots-send-interactive-cards
 */
async function sendDingTalkCard(
  target: Extract<ReplyTarget, { platform: "dingtalk" }>,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  const { appKey, appSecret } = deps.secrets.dingtalk!;
  const confirm = message.confirm!;
  const base = deps.apiBase?.dingtalkApi ?? DEFAULT_API_BASE.dingtalkApi;
  const key = `dingtalk:${appKey}`;
  const secrets: (string | undefined)[] = [appSecret, target.sessionWebhook];
  const token = postedToken(
    "dingtalk",
    "accessToken",
    joinUrl(base, "/v1.0/oauth2/accessToken"),
    { appKey, appSecret },
    { key, token: "accessToken", expiresIn: "expireIn" },
    deps,
    secrets,
  );
  const { params: names } = DINGTALK_CARD;
  const params: Record<string, string | number> = {
    [names.confirm]: `confirm:${confirm.id}`,
    [names.session]: target.sessionWebhook,
    [names.room]: target.conversationId!,
    ...(target.expiresAtMs !== undefined ? { [names.sessionExpiresAt]: target.expiresAtMs } : {}),
  };
  await withToken(deps.tokenCache, key, DINGTALK_TOKEN_CODES, token, (accessToken) => {
    secrets.push(accessToken);
    return postJson(
      "dingtalk",
      "interactiveCards/send",
      joinUrl(base, "/v1.0/im/v1.0/robot/interactiveCards/send"),
      {
        cardTemplateId: DINGTALK_CARD.templateId,
        openConversationId: target.conversationId,
        robotCode: target.robotCode,
        cardBizId: `qfhk-${confirm.id}`,
        cardData: JSON.stringify(renderDingTalkCard(message, params)),
      },
      deps,
      secrets,
      { "x-acs-dingtalk-access-token": accessToken },
    );
  });
  return { platform: "dingtalk", messageId: `qfhk-${confirm.id}` };
}

/** DingTalk's new API says an access token is missing, invalid or expired. */
const DINGTALK_TOKEN_CODES = new Set([
  "InvalidAuthentication",
  "Forbidden.AccessDenied.AccessTokenPermissionDenied",
]);

/** Feishu says a tenant_access_token is missing, invalid or expired. */
const FEISHU_TOKEN_CODES = new Set(["99991661", "99991663", "99991665"]);
/** WeCom says an access_token is missing, invalid or expired. */
const WECOM_TOKEN_CODES = new Set(["41001", "40014", "42001"]);

/**
 * An app token the platform issues for a JSON POST (Feishu, DingTalk), through the cache under
 * `key`; each token issued joins `secrets`, so no error can show it.
 */
function postedToken(
  platform: ChatPlatform,
  what: string,
  url: URL,
  body: Record<string, unknown>,
  fields: { key: string; token: string; expiresIn: string },
  deps: ReplyDeps,
  secrets: (string | undefined)[],
): () => Promise<string> {
  return () =>
    deps.tokenCache.get(
      fields.key,
      () => deps.now().getTime(),
      async () => {
        const answer = await postJson(platform, what, url, body, deps, secrets);
        const issued = answer[fields.token];
        if (typeof issued !== "string" || issued === "") {
          throw new ChatSendError(platform, `${what} answer has no token`, { retryable: true });
        }
        secrets.push(issued);
        return { token: issued, expiresInSeconds: Number(answer[fields.expiresIn] ?? 0) || 0 };
      },
    );
}

/** Runs `send` with a token; once, if the platform refuses the token, with a fresh one. */
async function withToken<T>(
  cache: TokenCache,
  key: string,
  refused: ReadonlySet<string>,
  token: () => Promise<string>,
  send: (token: string) => Promise<T>,
): Promise<T> {
  try {
    return await send(await token());
  } catch (error) {
    if (!(isChatSendError(error) && error.code !== undefined && refused.has(error.code))) throw error;
    cache.invalidate(key);
    return send(await token());
  }
}

async function replyFeishu(
  target: Extract<ReplyTarget, { platform: "feishu" }>,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  const app = deps.secrets.feishu;
  if (!app?.appId || !app.appSecret) {
    throw new ChatSendError("feishu", "appId and appSecret are not configured; cannot send a reply", {
      retryable: false,
      code: "NotConfigured",
    });
  }
  const { appId, appSecret } = app;
  const base = deps.apiBase?.feishu ?? DEFAULT_API_BASE.feishu;
  const key = `feishu:${appId}`;
  const secrets: (string | undefined)[] = [appSecret];
  const token = postedToken(
    "feishu",
    "tenant_access_token",
    joinUrl(base, "/open-apis/auth/v3/tenant_access_token/internal"),
    { app_id: appId, app_secret: appSecret },
    { key, token: "tenant_access_token", expiresIn: "expire" },
    deps,
    secrets,
  );
  const content = JSON.stringify(renderFeishuCard(message));
  const answer = await withToken(deps.tokenCache, key, FEISHU_TOKEN_CODES, token, (bearer) => {
    secrets.push(bearer);
    const auth = { authorization: `Bearer ${bearer}` };
    if (target.messageId) {
      const path = `/open-apis/im/v1/messages/${encodeURIComponent(target.messageId)}/reply`;
      return postJson(
        "feishu",
        "reply message",
        joinUrl(base, path),
        { msg_type: "interactive", content },
        deps,
        secrets,
        auth,
      );
    }
    const url = joinUrl(base, "/open-apis/im/v1/messages");
    url.searchParams.set("receive_id_type", "chat_id");
    return postJson(
      "feishu",
      "send message",
      url,
      { receive_id: target.chatId, msg_type: "interactive", content },
      deps,
      secrets,
      auth,
    );
  });
  const data = answer.data as { message_id?: unknown } | undefined;
  return {
    platform: "feishu",
    ...(typeof data?.message_id === "string" ? { messageId: data.message_id } : {}),
  };
}

async function replyWeCom(
  target: Extract<ReplyTarget, { platform: "wecom" }>,
  message: ChatMessage,
  deps: ReplyDeps,
): Promise<ReplyResult> {
  const app = deps.secrets.wecom;
  if (!app?.corpId || !app.corpSecret || !app.agentId) {
    throw new ChatSendError(
      "wecom",
      "corpId, corpSecret and agentId are not configured; cannot send a reply",
      {
        retryable: false,
        code: "NotConfigured",
      },
    );
  }
  const { corpId, corpSecret, agentId } = app;
  const base = deps.apiBase?.wecom ?? DEFAULT_API_BASE.wecom;
  const key = `wecom:${corpId}:${agentId}`;
  const secrets: (string | undefined)[] = [corpSecret];
  const token = () =>
    deps.tokenCache.get(
      key,
      () => deps.now().getTime(),
      async () => {
        const url = joinUrl(base, "/cgi-bin/gettoken");
        url.searchParams.set("corpid", corpId);
        url.searchParams.set("corpsecret", corpSecret);
        const answer = checkAnswer(
          "wecom",
          "gettoken",
          await exchange("wecom", "gettoken", url, { method: "GET" }, deps),
          secrets,
        );
        const issued = answer.access_token;
        if (typeof issued !== "string" || issued === "") {
          throw new ChatSendError("wecom", "gettoken answer has no access_token", { retryable: true });
        }
        secrets.push(issued);
        return { token: issued, expiresInSeconds: Number(answer.expires_in ?? 0) || 0 };
      },
    );
  const answer = await withToken(deps.tokenCache, key, WECOM_TOKEN_CODES, token, (accessToken) => {
    secrets.push(accessToken);
    if (target.chatId) {
      // App chats take text and markdown, not template cards: the code is in the text.
      const url = joinUrl(base, "/cgi-bin/appchat/send");
      url.searchParams.set("access_token", accessToken);
      return postJson(
        "wecom",
        "appchat/send",
        url,
        { chatid: target.chatId, safe: 0, ...renderWeComMarkdown(message) },
        deps,
        secrets,
      );
    }
    const url = joinUrl(base, "/cgi-bin/message/send");
    url.searchParams.set("access_token", accessToken);
    const body = message.confirm ? renderWeComTemplateCard(message) : renderWeComMarkdown(message);
    return postJson(
      "wecom",
      "message/send",
      url,
      { touser: target.userId, agentid: Number(agentId), ...body },
      deps,
      secrets,
    );
  });
  // errcode 0 with the user listed as invalid or unlicensed still means nobody got it.
  for (const field of ["invaliduser", "unlicenseduser"] as const) {
    const users = answer[field];
    if (typeof users === "string" && users !== "") {
      throw new ChatSendError("wecom", `message/send: the user is listed as ${field}`, {
        retryable: false,
        code: field,
      });
    }
  }
  return { platform: "wecom", ...(typeof answer.msgid === "string" ? { messageId: answer.msgid } : {}) };
}
