import { createHmac } from "node:crypto";
import type { ChatSecrets, RawHttpRequest, VerifyResult } from "../types";
import {
  accept,
  confirmationIdOf,
  handshake,
  headerOf,
  ignore,
  isObject,
  jsonAnswer,
  objectField,
  parseJson,
  rawRequest,
  refuse,
  safeEqual,
  stringField,
} from "./common";

export type SlackSecrets = NonNullable<ChatSecrets["slack"]>;

/** Slack refuses requests whose timestamp is more than five minutes away from now, either way. */
export const SLACK_MAX_SKEW_S = 5 * 60;

const SIGNATURE_HEADER = "x-slack-signature";
const TIMESTAMP_HEADER = "x-slack-request-timestamp";

/**
 * The `v0=` signature Slack puts on a request: HMAC-SHA256 keyed with the signing secret over
 * `v0:<timestamp>:<raw body>`.
 * @see https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function slackSignature(signingSecret: string, timestamp: string, body: Buffer | string): string {
  const mac = createHmac("sha256", signingSecret);
  mac.update(`v0:${timestamp}:`, "utf8");
  mac.update(typeof body === "string" ? Buffer.from(body, "utf8") : body);
  return `v0=${mac.digest("hex")}`;
}

/**
 * Verifies a Slack slash command, interactivity or Events API request on its raw bytes (signature,
 * then a five-minute window both ways) and maps it to an {@link InboundEvent}.
 * @see https://api.slack.com/authentication/verifying-requests-from-slack
 */
export function verifySlackRequest(
  request: RawHttpRequest,
  secrets: SlackSecrets,
  nowMs: number,
): VerifyResult {
  const signature = headerOf(request, SIGNATURE_HEADER);
  const timestamp = headerOf(request, TIMESTAMP_HEADER);
  if (!signature || !timestamp) return refuse(401, "slack: signature or timestamp header missing");
  if (!/^\d{1,12}$/.test(timestamp)) return refuse(401, "slack: timestamp is not a number of seconds");
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_MAX_SKEW_S) {
    return refuse(401, "slack: timestamp outside the five-minute window");
  }
  if (!safeEqual(signature, slackSignature(secrets.signingSecret, timestamp, request.body))) {
    return refuse(401, "slack: signature does not match");
  }
  return parseSlackPayload(request);
}

function parseSlackPayload(request: RawHttpRequest): VerifyResult {
  const text = request.body.toString("utf8");
  const contentType = headerOf(request, "content-type") ?? "";
  const looksJson = contentType.includes("json") || (!contentType && text.trimStart().startsWith("{"));
  if (looksJson) return parseEventsApi(text);
  const form = new URLSearchParams(text);
  const payload = form.get("payload");
  if (payload !== null) return parseInteraction(payload);
  if (form.get("command") !== null) return parseSlashCommand(form);
  // ssl_check and anything else signed but not asked of us.
  return ignore("slack: form request without a command or payload");
}

function parseSlashCommand(form: URLSearchParams): VerifyResult {
  const userId = form.get("user_id");
  const channelId = form.get("channel_id");
  const responseUrl = form.get("response_url");
  const triggerId = form.get("trigger_id");
  if (!userId || !responseUrl || !triggerId) {
    return refuse(400, "slack: slash command without user_id, response_url or trigger_id");
  }
  // A slash command carries no event id; its trigger_id is unique per invocation.
  return accept({
    kind: "command",
    eventId: triggerId,
    sender: { platform: "slack", userId, ...(channelId ? { roomId: channelId } : {}) },
    text: (form.get("text") ?? "").trim(),
    replyTo: { platform: "slack", responseUrl },
  });
}

function parseInteraction(payloadText: string): VerifyResult {
  const payload = parseJson(payloadText);
  if (!isObject(payload)) return refuse(400, "slack: interactivity payload is not JSON");
  if (payload.type !== "block_actions") return ignore(`slack: interaction ${String(payload.type)}`);
  const actions = Array.isArray(payload.actions) ? payload.actions : [];
  const action = actions.find((candidate) => confirmationIdOf(stringField(candidate, "value")) !== undefined);
  if (!action) return ignore("slack: block action that is not a confirmation");
  const confirmationId = confirmationIdOf(stringField(action, "value"))!;
  const userId = stringField(objectField(payload, "user"), "id");
  const channelId = stringField(objectField(payload, "channel"), "id");
  const responseUrl = stringField(payload, "response_url");
  const eventId = stringField(action, "action_ts") ?? stringField(payload, "trigger_id");
  if (!userId || !responseUrl || !eventId) {
    return refuse(400, "slack: block action without user, response_url or action_ts");
  }
  return accept({
    kind: "confirm",
    eventId,
    sender: { platform: "slack", userId, ...(channelId ? { roomId: channelId } : {}) },
    confirmationId,
    replyTo: { platform: "slack", responseUrl },
  });
}

function parseEventsApi(text: string): VerifyResult {
  const body = parseJson(text);
  if (!isObject(body)) return refuse(400, "slack: events body is not JSON");
  if (body.type === "url_verification") {
    const challenge = stringField(body, "challenge");
    if (!challenge) return refuse(400, "slack: url_verification without a challenge");
    return handshake(jsonAnswer({ challenge }));
  }
  if (body.type !== "event_callback") return ignore(`slack: events request ${String(body.type)}`);
  const event = objectField(body, "event");
  const eventId = stringField(body, "event_id");
  if (!event || !eventId) return refuse(400, "slack: event_callback without event or event_id");
  // Our own messages (and other bots') come back as events: answering them would loop.
  if (event.bot_id !== undefined) return ignore("slack: message from a bot");
  const isMention = event.type === "app_mention";
  const isDirect = event.type === "message" && event.channel_type === "im";
  if (!isMention && !isDirect) return ignore(`slack: event ${String(event.type)}`);
  // Edits, deletions and joins of a direct conversation are messages with a subtype, not commands.
  if (isDirect && event.subtype !== undefined) return ignore(`slack: message ${String(event.subtype)}`);
  const userId = stringField(event, "user");
  const channel = stringField(event, "channel");
  if (!userId || !channel) return refuse(400, "slack: message event without user or channel");
  const threadTs = stringField(event, "thread_ts") ?? stringField(event, "ts");
  return accept({
    kind: "command",
    eventId,
    sender: { platform: "slack", userId, roomId: channel },
    text: stripSlackMentions(stringField(event, "text") ?? ""),
    // Events carry no response_url: the answer goes to the channel, in the thread, with the bot token.
    replyTo: { platform: "slack", responseUrl: "", channel, ...(threadTs ? { threadTs } : {}) },
  });
}

/** Removes `<@U123>` / `<@U123|name>` mentions: the command is what is left. */
export function stripSlackMentions(text: string): string {
  return text
    .replace(/<@[A-Z0-9]+(?:\|[^>]*)?>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

// ---- Signers and builders: requests as Slack would send them (tests and `qfhk chat`). ----

export interface SlackSigning {
  signingSecret: string;
  /** Slack's X-Slack-Request-Timestamp, in seconds. */
  timestampS: number;
}

/** The headers Slack would put on a request with this body at this time. */
export function signSlackRequest(input: SlackSigning & { body: Buffer | string }): Record<string, string> {
  const timestamp = String(input.timestampS);
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [SIGNATURE_HEADER]: slackSignature(input.signingSecret, timestamp, input.body),
  };
}

export interface SlackRequestOptions extends SlackSigning {
  userId?: string;
  channelId?: string;
  teamId?: string;
  path?: string;
}

function signedSlackRequest(options: SlackRequestOptions, body: string, contentType: string): RawHttpRequest {
  return rawRequest({
    path: options.path ?? "/chat/slack",
    headers: {
      "content-type": contentType,
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      ...signSlackRequest({ ...options, body }),
    },
    body,
  });
}

const FORM = "application/x-www-form-urlencoded";

/** A signed slash command (`/qfhk <text>`), form-encoded as Slack sends it. */
export function slackCommandRequest(
  text: string,
  options: SlackRequestOptions & { command?: string; responseUrl?: string; triggerId?: string },
): RawHttpRequest {
  const teamId = options.teamId ?? "T0001";
  const form = new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: teamId,
    team_domain: "example",
    channel_id: options.channelId ?? "C0001",
    channel_name: "ops",
    user_id: options.userId ?? "U0001",
    user_name: "operator",
    command: options.command ?? "/qfhk",
    text,
    api_app_id: "A0001",
    is_enterprise_install: "false",
    response_url:
      options.responseUrl ?? `https://hooks.slack.com/commands/${teamId}/1000000000/abcdefabcdefabcdefabcdef`,
    trigger_id:
      options.triggerId ?? `${options.timestampS}.1000.${Buffer.from(text).toString("hex").slice(0, 16)}`,
  });
  return signedSlackRequest(options, form.toString(), FORM);
}

/** A signed `block_actions` interaction: the user pressed our confirmation button. */
export function slackConfirmRequest(
  confirmationId: string,
  options: SlackRequestOptions & { responseUrl?: string; triggerId?: string; actionTs?: string },
): RawHttpRequest {
  const teamId = options.teamId ?? "T0001";
  const payload = {
    type: "block_actions",
    user: { id: options.userId ?? "U0001", username: "operator", team_id: teamId },
    api_app_id: "A0001",
    team: { id: teamId, domain: "example" },
    channel: { id: options.channelId ?? "C0001", name: "ops" },
    container: {
      type: "message",
      message_ts: `${options.timestampS}.000100`,
      channel_id: options.channelId ?? "C0001",
    },
    trigger_id: options.triggerId ?? `${options.timestampS}.1000.trigger`,
    response_url:
      options.responseUrl ?? `https://hooks.slack.com/actions/${teamId}/1000000000/abcdefabcdefabcdefabcdef`,
    actions: [
      {
        type: "button",
        action_id: "confirm",
        block_id: "confirmation",
        text: { type: "plain_text", text: "Confirm" },
        value: `confirm:${confirmationId}`,
        action_ts: options.actionTs ?? `${options.timestampS}.123456`,
      },
    ],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return signedSlackRequest(options, body, FORM);
}

/** A signed Events API `app_mention`: `<@bot> <text>` in a channel. */
export function slackMentionEvent(
  text: string,
  options: SlackRequestOptions & { eventId?: string; botUserId?: string; botId?: string; ts?: string },
): RawHttpRequest {
  const ts = options.ts ?? `${options.timestampS}.000200`;
  const body = JSON.stringify({
    token: "deprecated-verification-token",
    team_id: options.teamId ?? "T0001",
    api_app_id: "A0001",
    event: {
      type: "app_mention",
      user: options.userId ?? "U0001",
      text: `<@${options.botUserId ?? "U0BOT"}> ${text}`,
      ts,
      channel: options.channelId ?? "C0001",
      event_ts: ts,
      ...(options.botId ? { bot_id: options.botId } : {}),
    },
    type: "event_callback",
    event_id: options.eventId ?? `Ev${options.timestampS}`,
    event_time: options.timestampS,
  });
  return signedSlackRequest(options, body, "application/json");
}

/** A signed Events API `url_verification` (sent when the request URL is saved). */
export function slackUrlVerification(challenge: string, options: SlackRequestOptions): RawHttpRequest {
  const body = JSON.stringify({
    token: "deprecated-verification-token",
    challenge,
    type: "url_verification",
  });
  return signedSlackRequest(options, body, "application/json");
}
