import { randomBytes } from "node:crypto";
import type { HousekeepingConfig } from "../config/runtime";
import type { Clock } from "../engine/clock";
import type { QianfanApi } from "../qianfan";
import type { StateStore } from "../state";
import { startLocalWebhook } from "./local-server";
import { sendReply, TokenCache } from "./outbound/reply";
import {
  type ChatStandIn,
  type ChatStandInOptions,
  type StandInRecord,
  startChatStandIn,
} from "./outbound/stand-in";
import {
  dingTalkCardCallback,
  dingTalkMessage,
  feishuConfirmRequest,
  feishuMessageEvent,
  slackCommandRequest,
  slackConfirmRequest,
  slackMentionEvent,
  weComConfirmRequest,
  weComTextMessage,
} from "./platforms";
import type { ChatPlatform, ChatSecrets, RawHttpRequest } from "./types";
import type { ChatJob } from "./webhook";
import { type ChatJobResult, runChatJob } from "./worker";

export interface LocalChatOptions {
  config: HousekeepingConfig;
  api: QianfanApi;
  store: StateStore;
  clock: Clock;
  target: string;
  stageDryRun?: boolean;
  /** The platforms' secrets; fresh random ones when not given (they never leave this process). */
  secrets?: ChatSecrets;
}

/** The platforms whose confirmations carry a button (DingTalk's interactive card in group chats). */
export type ButtonPlatform = ChatPlatform;

/** Who sends a request, and from where. */
export interface LocalSender {
  user: string;
  room?: string;
  /** Slack: as an `@qfhk` mention (Events API, answered with chat.postMessage), not `/qfhk`. */
  mention?: boolean;
}

/** What one request came to: the webhook's immediate answer and what the platform then received. */
export interface LocalExchange {
  answer: { status: number; body: string };
  /** The worker's outcome, when the webhook handed the request over. */
  outcome?: ChatJobResult["outcome"];
  /** What the stand-in for the platform received while the worker ran (the reply). */
  replies: StandInRecord[];
}

export interface LocalChat {
  webhookUrl: string;
  standIn: ChatStandIn;
  secrets: ChatSecrets;
  /** Sends `text` as a user of `platform` would, signed as the platform signs it. */
  send(platform: ChatPlatform, text: string, sender: LocalSender): Promise<LocalExchange>;
  /** Presses the Confirm button of confirmation `id` (Slack, Feishu, DingTalk and WeCom cards). */
  press(platform: ButtonPlatform, id: string, sender: LocalSender): Promise<LocalExchange>;
  /** Sends a request exactly as given (a replay, a tampered copy). */
  deliver(platform: ChatPlatform, request: RawHttpRequest): Promise<LocalExchange>;
  /** The signed request `send` would send, without sending it. */
  request(platform: ChatPlatform, text: string, sender: LocalSender): RawHttpRequest;
  close(): Promise<void>;
}

/** Random secrets for every platform, for a local session nobody else can sign for. */
export function localChatSecrets(): ChatSecrets {
  const secret = () => randomBytes(16).toString("hex");
  return {
    slack: { signingSecret: secret(), botToken: `xoxb-local-${secret()}` },
    feishu: { verificationToken: secret(), encryptKey: secret(), appId: "cli_local", appSecret: secret() },
    dingtalk: { appKey: "ding-local", appSecret: secret() },
    wecom: {
      token: secret(),
      encodingAesKey: randomBytes(32).toString("base64").replace(/=+$/, ""),
      corpId: "ww-local",
      corpSecret: secret(),
      agentId: "1000002",
    },
  };
}

/**
 * The whole chat path on this machine: a local webhook (verification, de-duplication, hand-over)
 * whose worker runs in-process against `api` and `store`, and a stand-in for the platforms' reply
 * routes that records what the worker sends. Used by `qfhk chat` and the end-to-end tests.
 */
export async function startLocalChat(options: LocalChatOptions): Promise<LocalChat> {
  const secrets = options.secrets ?? localChatSecrets();
  const standIn = await startChatStandIn(standInOptionsFor(secrets, options.clock));
  const tokens = new TokenCache();
  let pending: Promise<ChatJobResult> | undefined;
  const workerDeps = {
    config: options.config,
    api: options.api,
    store: options.store,
    clock: options.clock,
    stageDryRun: options.stageDryRun,
    target: options.target,
    reply: async (target: Parameters<typeof sendReply>[0], message: Parameters<typeof sendReply>[1]) => {
      await sendReply(target, message, {
        fetch,
        secrets,
        apiBase: standIn.apiBase,
        tokenCache: tokens,
        now: options.clock,
      });
    },
  };
  const chat = options.config.chat;
  const webhook = await startLocalWebhook({
    secrets: async () => secrets,
    store: options.store,
    // The deployed webhook invokes the worker asynchronously; here it runs in-process and is awaited.
    dispatch: async (job: ChatJob) => {
      pending = runChatJob(job, workerDeps);
    },
    now: options.clock,
    maxBodyBytes: chat?.maxBodyBytes ?? 64 * 1024,
    dedupTtlMs: chat?.dedupTtl ?? 24 * 3_600_000,
    dingtalkSessionBase: standIn.apiBase.dingtalk,
  });

  const requests = chatRequests(secrets, standIn, options.clock);
  const deliver = async (platform: ChatPlatform, request: RawHttpRequest): Promise<LocalExchange> => {
    const seen = standIn.received.length;
    pending = undefined;
    const answer = await postToWebhook(webhook.url, platform, request);
    const result = pending ? await (pending as Promise<ChatJobResult>) : undefined;
    return { answer, outcome: result?.outcome, replies: standIn.received.slice(seen) };
  };

  return {
    webhookUrl: webhook.url,
    standIn,
    secrets,
    request: requests.request,
    deliver,
    send: (platform, text, sender) => deliver(platform, requests.request(platform, text, sender)),
    press: (platform, id, sender) => deliver(platform, requests.press(platform, id, sender)),
    close: async () => {
      await webhook.close();
      await standIn.close();
    },
  };
}

/** A stand-in that accepts exactly these secrets' apps and bot token. */
export function standInOptionsFor(secrets: ChatSecrets, clock: Clock): ChatStandInOptions {
  return {
    now: clock,
    ...(secrets.feishu?.appId && secrets.feishu.appSecret
      ? { feishuApp: { appId: secrets.feishu.appId, appSecret: secrets.feishu.appSecret } }
      : {}),
    ...(secrets.wecom?.corpSecret
      ? { wecomApp: { corpId: secrets.wecom.corpId, corpSecret: secrets.wecom.corpSecret } }
      : {}),
    ...(secrets.slack?.botToken ? { slackBotToken: secrets.slack.botToken } : {}),
    ...(secrets.dingtalk?.appKey
      ? { dingtalkApp: { appKey: secrets.dingtalk.appKey, appSecret: secrets.dingtalk.appSecret } }
      : {}),
  };
}

/** Sends `request` to a chat webhook's `/chatops/{platform}` as the platform would; its immediate answer. */
export async function postToWebhook(
  webhookRoot: string,
  platform: ChatPlatform,
  request: RawHttpRequest,
): Promise<LocalExchange["answer"]> {
  const url = new URL(`${webhookRoot.replace(/\/+$/, "").replace(/\/chatops$/, "")}/chatops/${platform}`);
  for (const [name, value] of Object.entries(request.query)) url.searchParams.set(name, value);
  const headers = Object.fromEntries(
    Object.entries(request.headers).filter(([name]) => name !== "host" && name !== "content-length"),
  );
  const res = await fetch(url, {
    method: request.method,
    headers,
    ...(request.method === "GET" ? {} : { body: new Uint8Array(request.body) }),
  });
  return { status: res.status, body: await res.text() };
}

/** Builds requests as each platform signs them, with reply routes on `standIn`. */
export function chatRequests(secrets: ChatSecrets, standIn: ChatStandIn, clock: Clock) {
  // Slack signs every request alike; each carries a fresh response_url on the stand-in.
  const slackAs = (sender: LocalSender, timestampS: number, nonce: string) => ({
    signingSecret: secrets.slack!.signingSecret,
    timestampS,
    userId: sender.user,
    channelId: sender.room,
    responseUrl: standIn.slackResponseUrl(),
    triggerId: `trigger-${nonce}`,
  });
  const request = (platform: ChatPlatform, text: string, sender: LocalSender): RawHttpRequest => {
    const nowMs = clock().getTime();
    const timestampS = Math.floor(nowMs / 1000);
    const id = randomBytes(8).toString("hex");
    switch (platform) {
      case "slack":
        return sender.mention
          ? slackMentionEvent(text, {
              signingSecret: secrets.slack!.signingSecret,
              timestampS,
              userId: sender.user,
              channelId: sender.room,
              eventId: `Ev${id}`,
              ts: `${timestampS}.${parseInt(id.slice(0, 5), 16)}`,
            })
          : slackCommandRequest(text, slackAs(sender, timestampS, id));
      case "feishu":
        return feishuMessageEvent(text, {
          ...feishuSigning(secrets, timestampS),
          eventId: `ev-${id}`,
          openId: sender.user,
          chatId: sender.room ?? "oc_local",
        });
      case "dingtalk":
        return dingTalkMessage(text, {
          appSecret: secrets.dingtalk!.appSecret,
          timestampMs: nowMs,
          msgId: `msg-${id}`,
          senderStaffId: sender.user,
          conversationId: sender.room ?? "cid-local",
          sessionWebhook: standIn.dingtalkSessionWebhook({ expiresAtMs: nowMs + 3_600_000 }),
          sessionWebhookExpiredTime: nowMs + 3_600_000,
        });
      case "wecom":
        return weComTextMessage(text, {
          ...weComSigning(secrets, timestampS),
          msgId: `${timestampS}${parseInt(id.slice(0, 6), 16)}`,
          userId: sender.user,
          chatId: sender.room,
        });
    }
  };
  const press = (platform: ButtonPlatform, id: string, sender: LocalSender): RawHttpRequest => {
    const timestampS = Math.floor(clock().getTime() / 1000);
    const nonce = randomBytes(6).toString("hex");
    switch (platform) {
      case "slack":
        return slackConfirmRequest(id, {
          ...slackAs(sender, timestampS, nonce),
          actionTs: `${timestampS}.${nonce}`,
        });
      case "feishu":
        return feishuConfirmRequest(id, {
          ...feishuSigning(secrets, timestampS),
          eventId: `ev-card-${nonce}`,
          openId: sender.user,
          chatId: sender.room ?? "oc_local",
        });
      case "dingtalk": {
        const nowMs = clock().getTime();
        return dingTalkCardCallback(
          {
            confirm: `confirm:${id}`,
            session: standIn.dingtalkSessionWebhook({ expiresAtMs: nowMs + 3_600_000 }),
            sessionExpiresAt: nowMs + 3_600_000,
            room: sender.room ?? "cid-local",
          },
          {
            appSecret: secrets.dingtalk!.appSecret,
            timestampMs: nowMs,
            userId: sender.user,
            outTrackId: `qfhk-${id}`,
          },
        );
      }
      case "wecom":
        return weComConfirmRequest(id, {
          ...weComSigning(secrets, timestampS),
          userId: sender.user,
          taskId: `task-${nonce}`,
        });
    }
  };
  return { request, press };
}

function feishuSigning(secrets: ChatSecrets, timestampS: number) {
  return {
    verificationToken: secrets.feishu!.verificationToken,
    encryptKey: secrets.feishu!.encryptKey,
    timestampS,
  };
}

function weComSigning(secrets: ChatSecrets, timestampS: number) {
  return {
    token: secrets.wecom!.token,
    encodingAesKey: secrets.wecom!.encodingAesKey,
    corpId: secrets.wecom!.corpId,
    timestampS,
    agentId: secrets.wecom!.agentId,
  };
}
