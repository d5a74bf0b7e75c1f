import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../../lib/chat/outbound/message";
import type { ChatJob } from "../../lib/chat/webhook";
import { runChatJob } from "../../lib/chat/worker";
import { parseConfig } from "../../lib/config";
import { MemoryStateStore } from "../../lib/state";
import { FakeUnitApi } from "../support/fake-api";

const NOW = new Date("2026-11-23T02:00:00Z");

const job = (text: string, over: Partial<ChatJob> = {}): ChatJob => ({
  platform: "slack",
  eventId: "ev-1",
  sender: { platform: "slack", userId: "op-1", roomId: "C1" },
  request: { kind: "command", text },
  replyTo: { platform: "slack", responseUrl: "https://hooks.slack.com/x" },
  receivedAt: NOW.toISOString(),
  ...over,
});

function worker(config = "version: 1\nchat:\n  slack: { operators: [op-1], viewers: [v-1] }\n") {
  const store = new MemoryStateStore({ clock: () => NOW.getTime() });
  const replies: ChatMessage[] = [];
  const deps = {
    config: parseConfig(config, "c.yml"),
    api: new FakeUnitApi([]) as never,
    store,
    clock: () => NOW,
    target: "fake",
    reply: async (_t: unknown, m: ChatMessage) => {
      replies.push(m);
    },
  };
  return { deps, store, replies };
}

describe("runChatJob", () => {
  it("runs a job redelivered by an at-least-once invoke once", async () => {
    const { deps, replies } = worker();
    expect((await runChatJob(job("snooze unit-1 2h"), deps)).outcome).toBe("done");
    expect((await runChatJob(job("snooze unit-1 2h"), deps)).outcome).toBe("duplicate");
    expect(replies).toHaveLength(1);
  });

  it("checks the role again against the config: a user the config does not list may do nothing", async () => {
    const { deps, store, replies } = worker();
    const result = await runChatJob(
      job("snooze unit-1 2h", { sender: { platform: "slack", userId: "intruder" } }),
      deps,
    );
    expect(result.outcome).toBe("refused");
    expect(replies[0]!.title).toBe("You may not use qfhk here.");
    expect(await store.list("snoozes")).toEqual([]);
    const [audit] = await store.listAudit({ job: "chat" });
    expect(audit).toMatchObject({
      user: "intruder",
      platform: "slack",
      chatOutcome: "refused",
      command: "snooze unit-1 2h",
    });
  });

  it("keeps the stage's dry run: run --apply from chat changes nothing in a dry stage", async () => {
    const { deps, replies } = worker();
    const result = await runChatJob(job("run release-units --apply"), { ...deps, stageDryRun: true });
    expect(result.outcome).toBe("planned");
    const code = replies[0]!.confirm!.code;
    const confirmed = await runChatJob(job(`confirm ${code}`, { eventId: "ev-2" }), {
      ...deps,
      stageDryRun: true,
    });
    expect(confirmed.outcome).toBe("done");
    expect(replies[1]!.title).toBe("Ran release-units (dry run) (the stage runs dry: nothing was changed)");
  });

  it("answers the user when the store fails while making a confirmation, instead of failing silently", async () => {
    const { deps, store, replies } = worker();
    const put = store.put.bind(store);
    store.put = async (namespace, key, value, options) => {
      if (namespace.startsWith("chat-confirm"))
        throw new Error("ProvisionedThroughputExceededException: put");
      return put(namespace, key, value, options);
    };
    const result = await runChatJob(job("release unit-1"), deps);
    expect(result.outcome).toBe("failed");
    expect(replies[0]!.title).toBe("Failed: release unit-1");
    expect(replies[0]!.lines.join()).toContain("ProvisionedThroughputExceededException");
  });

  it("says what it did, and that the audit trail lacks it, when the audit record cannot be written", async () => {
    const { deps, store, replies } = worker();
    store.appendAudit = async () => {
      throw new Error("ProvisionedThroughputExceededException: appendAudit");
    };
    const result = await runChatJob(job("snooze unit-1 2h"), deps);
    expect(result.outcome).toBe("done");
    expect(await store.list("snoozes")).toHaveLength(1);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.lines.at(-1)).toBe(
      "Not in the audit trail: the state store refused the record (ProvisionedThroughputExceededException: appendAudit)",
    );
  });
});
