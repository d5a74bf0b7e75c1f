/** The chat platforms commands can come from and replies and notifications go to. */
export const CHAT_PLATFORMS = ["slack", "feishu", "dingtalk", "wecom"] as const;
export type ChatPlatform = (typeof CHAT_PLATFORMS)[number];

/** An HTTP request as the webhook received it: the body as raw bytes, header names lower-case. */
export interface RawHttpRequest {
  method: string;
  path: string;
  headers: Readonly<Record<string, string>>;
  query: Readonly<Record<string, string>>;
  body: Buffer;
}

/** What the webhook answers at once. */
export interface HttpAnswer {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** Where the answer to a command goes later (each platform's "answer later" route). */
export type ReplyTarget =
  /**
   * A Slack Events API message (an @mention) has no response_url: `responseUrl` is then "" and the
   * answer goes to `channel` (in the thread `threadTs`) with the bot token.
   */
  | { platform: "slack"; responseUrl: string; channel?: string; threadTs?: string }
  /** `conversationId` and `robotCode` (group chats): where a confirmation card can be sent. */
  | {
      platform: "dingtalk";
      sessionWebhook: string;
      expiresAtMs?: number;
      conversationId?: string;
      robotCode?: string;
    }
  | { platform: "feishu"; chatId: string; messageId?: string }
  | { platform: "wecom"; userId: string; chatId?: string };

/** Who sent a verified request, and from where. */
export interface ChatSender {
  platform: ChatPlatform;
  /** The platform's user id (Slack user_id, Feishu open_id, DingTalk senderStaffId, WeCom UserID). */
  userId: string;
  /** The room (channel, chat, conversation) id, when the platform gives one. */
  roomId?: string;
}

/** What a verified request asks for, in the platform-neutral shape the webhook works with. */
export type InboundEvent =
  /** A URL-verification handshake: answer `answer` and do nothing else. */
  | { kind: "handshake"; answer: HttpAnswer }
  /** A command typed by a user: `text` is what follows the bot mention or slash command. */
  | { kind: "command"; eventId: string; sender: ChatSender; text: string; replyTo: ReplyTarget }
  /** A button pressed on one of our confirmation cards. */
  | { kind: "confirm"; eventId: string; sender: ChatSender; confirmationId: string; replyTo: ReplyTarget }
  /** A verified request that asks for nothing (the bot's own message, another event type). */
  | { kind: "ignore"; reason: string };

/** The result of verifying one request: never any detail for the caller when it fails. */
export type VerifyResult =
  | { ok: true; event: InboundEvent }
  /** `reason` is for the log only; the answer is a bare 401 (or 400 for a malformed request). */
  | { ok: false; status: 400 | 401; reason: string };

/** The secrets of each platform, from the stage's one secret (all optional: a platform is off without them). */
export interface ChatSecrets {
  slack?: { signingSecret: string; botToken?: string };
  feishu?: { verificationToken: string; encryptKey?: string; appId?: string; appSecret?: string };
  /** With `appKey`, confirmations in group chats come as interactive cards (the robot's card API). */
  dingtalk?: { appKey?: string; appSecret: string };
  wecom?: { token: string; encodingAesKey: string; corpId: string; corpSecret?: string; agentId?: string };
}
