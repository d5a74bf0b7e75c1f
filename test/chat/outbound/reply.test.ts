import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../../lib/chat/outbound/message";
import {
  ChatSendError,
  type ReplyDeps,
  sendReply,
  TOKEN_MARGIN_MS,
  TokenCache,
} from "../../../lib/chat/outbound/reply";
import { type ChatStandIn, startChatStandIn } from "../../../lib/chat/outbound/stand-in";
import type { ChatSecrets } from "../../../lib/chat/types";
import { fakeFetch } from "../../support/fake-fetch";

const FEISHU_SECRET = "feishu-app-secret-0000000001";
const WECOM_SECRET = "wecom-corp-secret-0000000002";
const SLACK_BOT_TOKEN = "xoxb-test-0000000003";
const DINGTALK_SECRET = "dingtalk-app-secret-0000000004";
const secrets: ChatSecrets = {
  slack: { signingSecret: "slack-signing-secret", botToken: SLACK_BOT_TOKEN },
  feishu: { verificationToken: "vt", appId: "cli_test", appSecret: FEISHU_SECRET },
  wecom: { token: "t", encodingAesKey: "k", corpId: "ww-corp", corpSecret: WECOM_SECRET, agentId: "1000002" },
};
const message: ChatMessage = { title: "Released 2 units", lines: ["unit-a: done", "unit-b: done"] };
const confirmMessage: ChatMessage = {
  title: "Release 2 units?",
  lines: ["unit-a", "unit-b"],
  confirm: { id: "cf-1", code: "K7Q2", label: "Release", expiresAt: "14:05" },
};

/** A clock the test moves by hand. */
function handClock(start = Date.parse("2026-03-02T06:00:00Z")) {
  let ms = start;
  return { now: () => new Date(ms), advance: (by: number) => (ms += by) };
}

describe("sendReply against the local stand-in", () => {
  const clock = handClock();
  let standIn: ChatStandIn;
  let deps: ReplyDeps;

  beforeAll(async () => {
    standIn = await startChatStandIn({
      now: clock.now,
      feishuApp: { appId: "cli_test", appSecret: FEISHU_SECRET },
      wecomApp: { corpId: "ww-corp", corpSecret: WECOM_SECRET },
      unknownWeComUsers: ["ghost"],
      slackBotToken: SLACK_BOT_TOKEN,
      dingtalkApp: { appKey: "ding-app", appSecret: DINGTALK_SECRET },
    });
  });
  afterAll(() => standIn.close());
  beforeEach(() => {
    standIn.received.length = 0;
    deps = { fetch, secrets, apiBase: standIn.apiBase, tokenCache: new TokenCache(), now: clock.now };
  });

  it("posts a Slack answer to the response_url: in_channel, or ephemeral for a confirmation", async () => {
    const responseUrl = standIn.slackResponseUrl();

    await sendReply({ platform: "slack", responseUrl }, message, deps);
    await sendReply({ platform: "slack", responseUrl }, confirmMessage, deps);

    const [plain, confirm] = standIn.received;
    expect(plain).toMatchObject({
      route: "slack.response",
      status: 200,
      body: { response_type: "in_channel" },
    });
    expect(confirm?.body).toMatchObject({ response_type: "ephemeral" });
    expect(JSON.stringify(confirm?.body)).toContain('"value":"confirm:cf-1"');
  });

  it("answers an app mention (no response_url) with chat.postMessage in its thread, with the bot token", async () => {
    const target = {
      platform: "slack" as const,
      responseUrl: "",
      channel: "C42",
      threadTs: "1760000000.000200",
    };

    const result = await sendReply(target, message, deps);

    const [posted] = standIn.received;
    expect(posted).toMatchObject({
      route: "slack.postMessage",
      status: 200,
      headers: { authorization: "[redacted]" },
      body: { channel: "C42", thread_ts: "1760000000.000200", text: "Released 2 units" },
      answer: { ok: true, channel: "C42" },
    });
    expect(result.messageId).toMatch(/^\d+\.\d+$/);
  });

  it("says an app mention cannot be answered without a bot token, and posts nothing", async () => {
    const target = { platform: "slack" as const, responseUrl: "", channel: "C42" };
    const noToken = { ...deps, secrets: { ...secrets, slack: { signingSecret: "slack-signing-secret" } } };

    await expect(sendReply(target, message, noToken)).rejects.toThrow(/botToken is not configured/);
    expect(standIn.received).toHaveLength(0);
  });

  it("reports Slack's refusal of a wrong bot token by its error name, never the token", async () => {
    const target = { platform: "slack" as const, responseUrl: "", channel: "C42" };
    const wrong = {
      ...deps,
      secrets: { ...secrets, slack: { signingSecret: "s", botToken: "xoxb-wrong-000000" } },
    };

    const sent = sendReply(target, message, wrong);

    await expect(sent).rejects.toThrow(/chat.postMessage refused: invalid_auth/);
    await expect(sent).rejects.not.toThrow(/xoxb-/);
  });

  it("refuses a response_url that does not point at Slack", async () => {
    const forged = "http://127.0.0.1:9/elsewhere/response/x";

    const sent = sendReply({ platform: "slack", responseUrl: forged }, message, deps);

    await expect(sent).rejects.toThrow(/does not point at/);
    expect(standIn.received).toHaveLength(0);
  });

  it("posts DingTalk markdown, or an actionCard for a confirmation, to the sessionWebhook", async () => {
    const sessionWebhook = standIn.dingtalkSessionWebhook({ expiresAtMs: clock.now().getTime() + 60_000 });

    await sendReply({ platform: "dingtalk", sessionWebhook }, message, deps);
    await sendReply({ platform: "dingtalk", sessionWebhook }, confirmMessage, deps);

    expect(standIn.received.map((r) => (r.body as { msgtype: string }).msgtype)).toEqual([
      "markdown",
      "actionCard",
    ]);
    expect(standIn.received.every((r) => (r.answer as { errcode: number }).errcode === 0)).toBe(true);
  });

  describe("a DingTalk confirmation in a group chat, with an appKey", () => {
    const cardSecrets: ChatSecrets = {
      ...secrets,
      dingtalk: { appKey: "ding-app", appSecret: DINGTALK_SECRET },
    };
    const group = (sessionWebhook: string) => ({
      platform: "dingtalk" as const,
      sessionWebhook,
      expiresAtMs: clock.now().getTime() + 60_000,
      conversationId: "cid-42",
      robotCode: "ding-robot",
    });

    it("comes as an interactive card whose Confirm button carries the id, the session and the room", async () => {
      const sessionWebhook = standIn.dingtalkSessionWebhook({ expiresAtMs: clock.now().getTime() + 60_000 });

      await sendReply(group(sessionWebhook), confirmMessage, { ...deps, secrets: cardSecrets });

      expect(standIn.received.map((r) => r.route)).toEqual(["dingtalk.token", "dingtalk.card"]);
      const card = standIn.received[1]!;
      expect(card.body).toMatchObject({
        cardTemplateId: "StandardCard",
        openConversationId: "cid-42",
        robotCode: "ding-robot",
        cardBizId: "qfhk-cf-1",
      });
      const data = JSON.parse((card.body as { cardData: string }).cardData);
      const button = data.contents[1].actions[0];
      expect(button).toMatchObject({
        actionType: "request",
        params: { confirm: "confirm:cf-1", session: sessionWebhook, room: "cid-42" },
      });
      // The code is on the card too: typing it works where the button does not.
      expect(data.contents[0].text).toContain("confirm K7Q2");
      expect(JSON.stringify(standIn.received)).not.toContain(DINGTALK_SECRET);
    });

    it("falls back to the actionCard with the one-time code when the card is refused", async () => {
      const sessionWebhook = standIn.dingtalkSessionWebhook({ expiresAtMs: clock.now().getTime() + 60_000 });
      standIn.failNext("dingtalk.card", [400]);

      await sendReply(group(sessionWebhook), confirmMessage, { ...deps, secrets: cardSecrets });

      expect(standIn.received.map((r) => r.route)).toEqual([
        "dingtalk.token",
        "dingtalk.card",
        "dingtalk.session",
      ]);
      expect(standIn.received[2]?.body).toMatchObject({ msgtype: "actionCard" });
    });

    it("stays an actionCard without an appKey, or outside a group chat", async () => {
      const sessionWebhook = standIn.dingtalkSessionWebhook({ expiresAtMs: clock.now().getTime() + 60_000 });

      await sendReply(group(sessionWebhook), confirmMessage, deps);
      await sendReply({ platform: "dingtalk", sessionWebhook }, confirmMessage, {
        ...deps,
        secrets: cardSecrets,
      });

      expect(standIn.received.map((r) => r.route)).toEqual(["dingtalk.session", "dingtalk.session"]);
    });
  });

  it("refuses a DingTalk sessionWebhook whose expiry has passed, saying so, without posting", async () => {
    const sessionWebhook = standIn.dingtalkSessionWebhook();
    const expiresAtMs = clock.now().getTime() - 1;

    const sent = sendReply({ platform: "dingtalk", sessionWebhook, expiresAtMs }, message, deps);

    await expect(sent).rejects.toThrow(/sessionWebhook expired at .*cannot be sent/);
    expect(standIn.received).toHaveLength(0);
  });

  it("sends a Feishu card with a tenant_access_token, and replies in thread when given a message id", async () => {
    const sent = await sendReply({ platform: "feishu", chatId: "oc_room" }, confirmMessage, deps);
    await sendReply({ platform: "feishu", chatId: "oc_room", messageId: "om_parent" }, message, deps);

    expect(sent.messageId).toMatch(/^om_/);
    expect(standIn.received.map((r) => r.route)).toEqual(["feishu.token", "feishu.message", "feishu.reply"]);
    const [token, first] = standIn.received;
    expect(token?.body).toEqual({ app_id: "cli_test", app_secret: "[redacted]" });
    expect(first?.query).toEqual({ receive_id_type: "chat_id" });
    const body = first?.body as { msg_type: string; content: string; receive_id: string };
    expect(body).toMatchObject({ msg_type: "interactive", receive_id: "oc_room" });
    expect(JSON.parse(body.content).elements.at(-1).actions[0].value).toEqual({ confirm: "cf-1" });
  });

  it("sends WeCom markdown to a user, a template card for a confirmation, and markdown to a group chat", async () => {
    await sendReply({ platform: "wecom", userId: "zhangsan" }, message, deps);
    await sendReply({ platform: "wecom", userId: "zhangsan" }, confirmMessage, deps);
    await sendReply({ platform: "wecom", userId: "zhangsan", chatId: "chat-1" }, confirmMessage, deps);

    expect(standIn.received.map((r) => r.route)).toEqual([
      "wecom.token",
      "wecom.message",
      "wecom.message",
      "wecom.appchat",
    ]);
    const [token, markdown, card, chat] = standIn.received;
    expect(token?.query).toEqual({ corpid: "ww-corp", corpsecret: "[redacted]" });
    expect(markdown?.body).toMatchObject({ touser: "zhangsan", agentid: 1000002, msgtype: "markdown" });
    expect(card?.body).toMatchObject({
      msgtype: "template_card",
      template_card: { button_list: [{ key: "confirm:cf-1" }] },
    });
    expect(chat?.body).toMatchObject({ chatid: "chat-1", msgtype: "markdown" });
  });

  it("treats a WeCom answer that lists the user as invalid as a failure", async () => {
    await expect(sendReply({ platform: "wecom", userId: "ghost" }, message, deps)).rejects.toThrow(
      /invaliduser/,
    );
  });

  it("fails with the platform's code and no secret when the app credentials are wrong", async () => {
    const wrong: ReplyDeps = {
      ...deps,
      secrets: {
        feishu: { verificationToken: "vt", appId: "cli_test", appSecret: "wrong-secret-xyz" },
        wecom: {
          token: "t",
          encodingAesKey: "k",
          corpId: "ww-corp",
          corpSecret: "wrong-secret-abc",
          agentId: "1",
        },
      },
    };

    const feishu = await sendReply({ platform: "feishu", chatId: "oc" }, message, wrong).catch((e) => e);
    const wecom = await sendReply({ platform: "wecom", userId: "u" }, message, wrong).catch((e) => e);

    expect(feishu).toBeInstanceOf(ChatSendError);
    expect(feishu.message).toMatch(/feishu: tenant_access_token refused: HTTP 400, code 10014/);
    expect(wecom.message).toMatch(/wecom: gettoken refused: code 40001/);
    for (const error of [feishu, wecom]) {
      expect(error.message).not.toMatch(/wrong-secret|127\.0\.0\.1/);
      expect(error.retryable).toBe(false);
    }
  });

  it("says when a platform is not configured", async () => {
    const none: ReplyDeps = { ...deps, secrets: {} };
    await expect(sendReply({ platform: "feishu", chatId: "oc" }, message, none)).rejects.toThrow(
      /not configured/,
    );
    await expect(sendReply({ platform: "wecom", userId: "u" }, message, none)).rejects.toThrow(
      /not configured/,
    );
  });
});

describe("token caching", () => {
  const clock = handClock();
  let standIn: ChatStandIn;

  beforeAll(async () => {
    standIn = await startChatStandIn({ now: clock.now, tokenTtlSeconds: 7200 });
  });
  afterAll(() => standIn.close());

  it("asks for one token for many messages, sent one after another or all at once", async () => {
    const deps: ReplyDeps = {
      fetch,
      secrets,
      apiBase: standIn.apiBase,
      tokenCache: new TokenCache(),
      now: clock.now,
    };
    const before = { ...standIn.tokensIssued };

    for (let i = 0; i < 3; i += 1) await sendReply({ platform: "feishu", chatId: "oc" }, message, deps);
    await Promise.all(
      Array.from({ length: 5 }, () => sendReply({ platform: "wecom", userId: "u" }, message, deps)),
    );
    await sendReply({ platform: "wecom", userId: "u" }, message, deps);

    expect(standIn.tokensIssued.feishu - before.feishu).toBe(1);
    expect(standIn.tokensIssued.wecom - before.wecom).toBe(1);
  });

  it("asks for a new token once the old one is within the margin of its expiry", async () => {
    const deps: ReplyDeps = {
      fetch,
      secrets,
      apiBase: standIn.apiBase,
      tokenCache: new TokenCache(),
      now: clock.now,
    };
    const before = standIn.tokensIssued.feishu;

    await sendReply({ platform: "feishu", chatId: "oc" }, message, deps);
    clock.advance(7200_000 - TOKEN_MARGIN_MS - 1000);
    await sendReply({ platform: "feishu", chatId: "oc" }, message, deps);
    const stillOne = standIn.tokensIssued.feishu - before;
    clock.advance(2000);
    await sendReply({ platform: "feishu", chatId: "oc" }, message, deps);

    expect(stillOne).toBe(1);
    expect(standIn.tokensIssued.feishu - before).toBe(2);
  });

  it("asks again, once, when the platform refuses a cached token", async () => {
    // A cache that outlives the stand-in's tokens (a 10-second lifetime there, 2 hours here).
    const shortLived = await startChatStandIn({ now: clock.now, tokenTtlSeconds: 10 });
    const cache = new TokenCache(0);
    const deps: ReplyDeps = {
      fetch,
      secrets,
      apiBase: shortLived.apiBase,
      tokenCache: cache,
      now: clock.now,
    };
    try {
      await cache.get(
        `wecom:ww-corp:1000002`,
        () => clock.now().getTime(),
        async () => ({
          token: "stale-token",
          expiresInSeconds: 7200,
        }),
      );

      await sendReply({ platform: "wecom", userId: "u" }, message, deps);

      expect(shortLived.received.map((r) => [r.route, (r.answer as { errcode: number }).errcode])).toEqual([
        ["wecom.message", 40014],
        ["wecom.token", 0],
        ["wecom.message", 0],
      ]);
    } finally {
      await shortLived.close();
    }
  });
});

describe("failures never show a token, secret or webhook key", () => {
  it("scrubs the token and secret from what the platform says back", async () => {
    const fake = fakeFetch((request) => {
      if (request.url.pathname.endsWith("/gettoken")) {
        return { status: 200, body: { errcode: 0, access_token: "TOKEN-abcdef-123456", expires_in: 7200 } };
      }
      return {
        status: 200,
        body: { errcode: 40014, errmsg: `invalid access_token TOKEN-abcdef-123456, secret ${WECOM_SECRET}` },
      };
    });
    const deps: ReplyDeps = {
      fetch: fake.fetch,
      secrets,
      apiBase: { wecom: "http://127.0.0.1:1/wecom" },
      tokenCache: new TokenCache(),
      now: () => new Date(),
    };

    const error = await sendReply({ platform: "wecom", userId: "u" }, message, deps).catch((e) => e);

    expect(error).toBeInstanceOf(ChatSendError);
    expect(error.message).toContain("code 40014");
    expect(error.message).not.toContain("TOKEN-abcdef-123456");
    expect(error.message).not.toContain(WECOM_SECRET);
    expect(error.message).not.toContain("access_token=");
  });

  it("reports a network error by its code, without the URL", async () => {
    const fake = fakeFetch([{ networkError: "ECONNREFUSED" }]);
    const responseUrl = "https://hooks.slack.com/actions/T1/123/SECRETPATHxyz";
    const deps: ReplyDeps = {
      fetch: fake.fetch,
      secrets,
      tokenCache: new TokenCache(),
      now: () => new Date(),
    };

    const error = await sendReply({ platform: "slack", responseUrl }, message, deps).catch((e) => e);

    expect(error.message).toBe("slack: response_url: network error (ECONNREFUSED)");
    expect(error.retryable).toBe(true);
  });

  it("gives up on a platform that does not answer within the timeout", async () => {
    const fake = fakeFetch([{ hang: true }]);
    const deps: ReplyDeps = {
      fetch: fake.fetch,
      secrets,
      tokenCache: new TokenCache(),
      now: () => new Date(),
      timeoutMs: 50,
    };

    const sent = sendReply(
      { platform: "slack", responseUrl: "https://hooks.slack.com/actions/x" },
      message,
      deps,
    );

    await expect(sent).rejects.toThrow("slack: response_url: no answer within 50 ms");
  });

  it("treats Slack's `ok: false` and a non-2xx text answer as failures", async () => {
    const deps = (fetch: ReplyDeps["fetch"]): ReplyDeps => ({
      fetch,
      secrets,
      tokenCache: new TokenCache(),
      now: () => new Date(),
    });
    const target = { platform: "slack" as const, responseUrl: "https://hooks.slack.com/actions/x" };

    const notOk = sendReply(
      target,
      message,
      deps(fakeFetch([{ status: 200, body: { ok: false, error: "invalid_blocks" } }]).fetch),
    );
    const expired = sendReply(target, message, deps(fakeFetch([{ status: 404, body: "expired_url" }]).fetch));

    await expect(notOk).rejects.toThrow("slack: response_url refused: invalid_blocks");
    await expect(expired).rejects.toThrow("slack: response_url refused: HTTP 404, expired_url");
  });
});
