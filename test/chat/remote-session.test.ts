import { afterEach, describe, expect, it } from "vitest";
import { startLocalWebhook } from "../../lib/chat/local-server";
import { localChatSecrets } from "../../lib/chat/local-session";
import { apiBaseUnder } from "../../lib/chat/outbound/replies-url";
import { sendReply, TokenCache } from "../../lib/chat/outbound/reply";
import { connectRemoteChat, type RemoteChat } from "../../lib/chat/remote-session";
import { runChatJob } from "../../lib/chat/worker";
import { parseConfig } from "../../lib/config";
import { MemoryStateStore } from "../../lib/state";
import { FakeUnitApi } from "../support/fake-api";
import { freePorts } from "../support/offline";

const NOW = new Date("2026-11-23T02:00:00Z");
const OPERATOR = { user: "op-1", room: "C1" };
const CONFIG = "version: 1\nchat:\n  slack: { operators: [op-1] }\n  dingtalk: { operators: [op-1] }\n";

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

/**
 * A webhook served apart from the client, as `qfhk offline` serves it: its worker replies to
 * whatever listens on the replies port, which is the client's stand-in.
 */
async function servedApart(replyTimeoutMs: number): Promise<RemoteChat> {
  const [repliesPort] = await freePorts(1);
  const apiBase = apiBaseUnder(`http://127.0.0.1:${repliesPort}`);
  const secrets = localChatSecrets();
  const store = new MemoryStateStore({ clock: () => NOW.getTime() });
  const tokenCache = new TokenCache();
  const workerDeps = {
    config: parseConfig(CONFIG, "chat.yml"),
    api: new FakeUnitApi([]) as never,
    store,
    clock: () => NOW,
    target: "fake",
    reply: async (target: Parameters<typeof sendReply>[0], message: Parameters<typeof sendReply>[1]) => {
      await sendReply(target, message, { fetch, secrets, apiBase, tokenCache, now: () => NOW });
    },
  };
  const webhook = await startLocalWebhook({
    secrets: async () => secrets,
    store,
    // As an asynchronous invoke: the answer does not wait for the worker.
    dispatch: async (job) => {
      void runChatJob(job, workerDeps);
    },
    now: () => NOW,
    maxBodyBytes: 64 * 1024,
    dedupTtlMs: 3_600_000,
    dingtalkSessionBase: apiBase.dingtalk,
  });
  closers.push(() => webhook.close());
  const chat = await connectRemoteChat({
    webhookUrl: `${webhook.url}/chatops`,
    secrets,
    repliesPort: repliesPort!,
    clock: () => NOW,
    replyTimeoutMs,
  });
  closers.push(() => chat.close());
  return chat;
}

describe("connectRemoteChat (qfhk chat --offline)", () => {
  it("waits for the worker's reply at its stand-in and returns it with the webhook's answer", async () => {
    const chat = await servedApart(20_000);

    const exchange = await chat.send("slack", "snoozes", OPERATOR);

    expect(exchange.answer.status).toBe(200);
    expect(exchange.noReply).toBeUndefined();
    expect(exchange.replies.map((r) => r.route)).toEqual(["slack.response"]);
    expect(JSON.stringify(exchange.replies[0]?.body)).toContain("No snoozes");
  });

  it("does not wait when the webhook refuses the request", async () => {
    const chat = await servedApart(60_000);
    const request = chat.request("slack", "status", OPERATOR);
    const tampered = { ...request, headers: { ...request.headers, "x-slack-signature": "v0=00" } };

    const refused = await chat.deliver("slack", tampered);

    expect(refused).toEqual({ answer: { status: 401, body: "" }, replies: [] });
  });

  it("says no reply came when an accepted request gets none in time: a redelivery runs once", async () => {
    const chat = await servedApart(2_000);
    const request = chat.request("dingtalk", "snoozes", OPERATOR);

    const first = await chat.deliver("dingtalk", request);
    const again = await chat.deliver("dingtalk", request);

    expect(first.replies.map((r) => r.route)).toEqual(["dingtalk.session"]);
    expect(again).toMatchObject({ answer: { status: 200 }, replies: [], noReply: true });
  });
});
