import type { Clock } from "../engine/clock";
import {
  type ButtonPlatform,
  chatRequests,
  type LocalExchange,
  type LocalSender,
  postToWebhook,
  standInOptionsFor,
} from "./local-session";
import {
  type ChatStandIn,
  type StandInRecord,
  type StandInRoute,
  startChatStandIn,
} from "./outbound/stand-in";
import type { ChatPlatform, ChatSecrets, RawHttpRequest } from "./types";

export interface RemoteChatOptions {
  /** The webhook's root: requests go to `<webhookUrl>/{platform}` (a trailing `/chatops` is kept once). */
  webhookUrl: string;
  /** The secrets the webhook verifies with. */
  secrets: ChatSecrets;
  /** The port of the stand-in the worker replies to (QFHK_CHAT_REPLIES_URL of the functions). */
  repliesPort: number;
  clock: Clock;
  /** How long to wait for the worker's reply after the webhook handed a request over (default 30 s). */
  replyTimeoutMs?: number;
}

/** One exchange with a webhook served elsewhere: no outcome, which only the worker knows. */
export interface RemoteExchange extends LocalExchange {
  /** True when the webhook accepted the request but no reply arrived in time. */
  noReply?: boolean;
}

export interface RemoteChat {
  standIn: ChatStandIn;
  send(platform: ChatPlatform, text: string, sender: LocalSender): Promise<RemoteExchange>;
  press(platform: ButtonPlatform, id: string, sender: LocalSender): Promise<RemoteExchange>;
  deliver(platform: ChatPlatform, request: RawHttpRequest): Promise<RemoteExchange>;
  /** The signed request `send` would send, without sending it. */
  request(platform: ChatPlatform, text: string, sender: LocalSender): RawHttpRequest;
  close(): Promise<void>;
}

/** Token requests come before a reply; they are not the reply. */
const TOKEN_ROUTES = new Set<StandInRoute>(["feishu.token", "wecom.token"]);
/** After the first reply, what else the worker sends in this long is part of the same answer. */
const SETTLE_MS = 250;

/**
 * Talks to a chat webhook that runs elsewhere on this machine (`qfhk offline`): signs requests as
 * the platform would, sends them, and waits — bounded — for the worker's reply at a stand-in on
 * the port the functions reply to.
 */
export async function connectRemoteChat(options: RemoteChatOptions): Promise<RemoteChat> {
  const { secrets } = options;
  const timeoutMs = options.replyTimeoutMs ?? 30_000;
  const listeners = new Set<(record: StandInRecord) => void>();
  const standIn = await startChatStandIn({
    ...standInOptionsFor(secrets, options.clock),
    port: options.repliesPort,
    onRequest: (record) => {
      for (const listener of listeners) listener(record);
    },
  });
  const requests = chatRequests(secrets, standIn, options.clock);

  /** Resolves once a reply has arrived and settled, or when `timeoutMs` passes without one. */
  const nextReply = () => {
    let cancel = () => {};
    const arrived = new Promise<boolean>((resolve) => {
      let settle: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => finish(false), timeoutMs);
      const listener = (record: StandInRecord) => {
        if (TOKEN_ROUTES.has(record.route)) return;
        clearTimeout(settle);
        settle = setTimeout(() => finish(true), SETTLE_MS);
      };
      const finish = (got: boolean) => {
        clearTimeout(timer);
        clearTimeout(settle);
        listeners.delete(listener);
        resolve(got);
      };
      cancel = () => finish(false);
      listeners.add(listener);
    });
    return { arrived, cancel };
  };

  const deliver = async (platform: ChatPlatform, request: RawHttpRequest): Promise<RemoteExchange> => {
    const seen = standIn.received.length;
    // Listening before sending: the worker may reply before the webhook's answer is read.
    const reply = nextReply();
    let answer: LocalExchange["answer"];
    try {
      answer = await postToWebhook(options.webhookUrl, platform, request);
    } catch (error) {
      reply.cancel();
      throw error;
    }
    if (answer.status !== 200) {
      reply.cancel();
      return { answer, replies: standIn.received.slice(seen) };
    }
    const got = await reply.arrived;
    return { answer, replies: standIn.received.slice(seen), ...(got ? {} : { noReply: true }) };
  };

  return {
    standIn,
    deliver,
    request: requests.request,
    send: (platform, text, sender) => deliver(platform, requests.request(platform, text, sender)),
    press: (platform, id, sender) => deliver(platform, requests.press(platform, id, sender)),
    close: () => standIn.close(),
  };
}
