import { randomUUID } from "node:crypto";
import type { StateStore } from "../state";
import { verifyChatRequest } from "./platforms";
import {
  CHAT_PLATFORMS,
  type ChatPlatform,
  type ChatSecrets,
  type ChatSender,
  type HttpAnswer,
  type RawHttpRequest,
  type ReplyTarget,
} from "./types";

/** What the webhook hands the worker: only what a verified request said, normalised. */
export interface ChatJob {
  platform: ChatPlatform;
  eventId: string;
  sender: ChatSender;
  request: { kind: "command"; text: string } | { kind: "confirm"; confirmationId: string };
  replyTo: ReplyTarget;
  receivedAt: string;
}

export interface WebhookDeps {
  /** The platforms' secrets (read once per container by the caller). */
  secrets: () => Promise<ChatSecrets>;
  store: StateStore;
  /** Hands a job to the worker (an asynchronous Lambda invoke); resolves once it is accepted. */
  dispatch: (job: ChatJob) => Promise<void>;
  now: () => Date;
  maxBodyBytes: number;
  dedupTtlMs: number;
  /** DingTalk's API base (a local stand-in's in tests and `qfhk chat`): replies go nowhere else. */
  dingtalkSessionBase?: string;
  /** Why a request was refused or dropped, for the log: never a secret, never the body. */
  log?: (event: string, detail: Record<string, unknown>) => void;
}

const EMPTY: HttpAnswer = { status: 200, body: "" };
const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

/**
 * One chat webhook request: size limit, verification on the raw bytes, handshake, de-duplication on
 * the platform's event id, and a hand-over to the worker — then an answer within the platform's
 * deadline. A request that fails verification gets a bare 401: nothing runs and nothing is stored.
 */
export async function handleChatWebhook(
  platformName: string,
  request: RawHttpRequest,
  deps: WebhookDeps,
): Promise<HttpAnswer> {
  const platform = CHAT_PLATFORMS.find((p) => p === platformName);
  if (!platform) return { status: 404, body: "" };
  if (request.body.length > deps.maxBodyBytes) {
    deps.log?.("chat.refused", { platform, status: 413, bytes: request.body.length });
    return { status: 413, body: "" };
  }
  const secrets = await deps.secrets();
  if (!secrets[platform]) {
    deps.log?.("chat.refused", { platform, status: 404, reason: "platform not configured" });
    return { status: 404, body: "" };
  }
  const verified = verifyChatRequest(platform, request, secrets, deps.now().getTime(), {
    dingtalkSessionBase: deps.dingtalkSessionBase,
  });
  if (!verified.ok) {
    deps.log?.("chat.refused", { platform, status: verified.status, reason: verified.reason });
    return { status: verified.status, body: "" };
  }
  const event = verified.event;
  if (event.kind === "handshake") return event.answer;
  if (event.kind === "ignore") return ack(platform, undefined);

  // A retried delivery of the same event runs nothing: the first one took the event id.
  const key = `chat-event:${platform}:${event.eventId}`;
  const now = deps.now();
  // A fresh owner each time: a lock's owner may take it again, and a redelivery must not.
  const owner = `delivery:${randomUUID()}`;
  const first = await deps.store.acquireLock(key, owner, deps.dedupTtlMs, now);
  if (!first.acquired) {
    deps.log?.("chat.duplicate", { platform, eventId: event.eventId });
    return ack(platform, undefined);
  }
  const job: ChatJob = {
    platform,
    eventId: event.eventId,
    sender: event.sender,
    request:
      event.kind === "command"
        ? { kind: "command", text: event.text }
        : { kind: "confirm", confirmationId: event.confirmationId },
    replyTo: event.replyTo,
    receivedAt: now.toISOString(),
  };
  try {
    await deps.dispatch(job);
  } catch (error) {
    // Not handed over: forget the event id so the platform's retry gets another chance.
    await deps.store.releaseLock(key, owner).catch(() => {});
    deps.log?.("chat.dispatch-failed", { platform, eventId: event.eventId, error: String(error) });
    return { status: 503, body: "" };
  }
  return ack(platform, event.kind === "command" ? event.text : undefined);
}

/** The immediate answer each platform expects; the real reply comes later from the worker. */
function ack(platform: ChatPlatform, text: string | undefined): HttpAnswer {
  switch (platform) {
    case "slack":
      // A slash command's answer is shown to its author at once; the result follows on response_url.
      return text === undefined
        ? EMPTY
        : {
            status: 200,
            headers: JSON_HEADERS,
            body: JSON.stringify({ response_type: "ephemeral", text: "Working on it…" }),
          };
    case "feishu":
    case "dingtalk":
      return { status: 200, headers: JSON_HEADERS, body: "{}" };
    case "wecom":
      return EMPTY;
  }
}
