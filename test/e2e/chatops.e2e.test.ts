import { afterEach, describe, expect, it } from "vitest";
import { type LocalChat, startLocalChat } from "../../lib/chat/local-session";
import { slackMentionEvent } from "../../lib/chat/platforms";
import type { ChatPlatform } from "../../lib/chat/types";
import { parseConfig } from "../../lib/config";
import type { RunningEmulator } from "../../lib/emulator";
import { MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit, T0, task } from "../support/emulator";

const PLATFORMS: ChatPlatform[] = ["slack", "feishu", "dingtalk", "wecom"];
const OPERATOR = { user: "op-1", room: "room-ops" };
const VIEWER = { user: "viewer-1", room: "room-ops" };
const STRANGER = { user: "someone-else", room: "room-ops" };

const people = "{ operators: [op-1], viewers: [viewer-1], rooms: [room-ops] }";
const CONFIG = ["version: 1", "dryRun: false", "chat:", ...PLATFORMS.map((p) => `  ${p}: ${people}`)].join(
  "\n",
);

let emulator: RunningEmulator | undefined;
let chat: LocalChat | undefined;
afterEach(async () => {
  await chat?.close();
  await emulator?.close();
  chat = undefined;
  emulator = undefined;
});

async function session(now = T0) {
  emulator = await emulatorWith({
    computeUnits: [postpaidUnit("unit-idle"), postpaidUnit("unit-busy", { usedComputeUnits: 2 })],
    batchTasks: [task("task-long", { createTime: "2026-11-22T00:00:00Z" })],
  });
  let clock = now;
  const store = new MemoryStateStore({ clock: () => clock.getTime() });
  chat = await startLocalChat({
    config: parseConfig(CONFIG, "chat.yml"),
    api: apiFor(emulator),
    store,
    clock: () => clock,
    target: emulator.url,
  });
  return {
    emulator,
    chat,
    store,
    advance: (ms: number) => {
      clock = new Date(clock.getTime() + ms);
    },
  };
}

/** Everything the stand-in received, as text, to look for words in. */
const textOf = (replies: Array<{ body: unknown }>) => JSON.stringify(replies.map((r) => r.body));
const unitStatus = (e: RunningEmulator, id: string) => e.state.units.find((u) => u.instanceId === id)?.status;

describe.each(PLATFORMS)("chat-ops on %s", (platform) => {
  it("answers at once, then runs a command against the platform and replies through the platform", async () => {
    const { chat } = await session();
    const exchange = await chat.send(platform, "snoozes", VIEWER);
    expect(exchange.answer.status).toBe(200);
    expect(exchange.outcome).toBe("done");
    expect(textOf(exchange.replies)).toContain("No snoozes");
  });

  it("confirms with the one-time code on every platform", async () => {
    const { chat, emulator } = await session();
    const asked = await chat.send(platform, "stop task-long", OPERATOR);
    const code = confirmationCodeIn(textOf(asked.replies));
    const done = await chat.send(platform, `confirm ${code}`, OPERATOR);
    expect(done.outcome).toBe("done");
    expect(emulator.state.tasks.find((t) => t.taskId === "task-long")?.runStatus).toBe("Stopping");
  });

  it("lets a viewer look but not change anything, and an unknown user see nothing", async () => {
    const { chat, emulator } = await session();
    const refused = await chat.send(platform, "release unit-idle", VIEWER);
    expect(refused.outcome).toBe("refused");
    const stranger = await chat.send(platform, "status", STRANGER);
    expect(stranger.outcome).toBe("refused");
    expect(textOf(stranger.replies)).toContain("You may not use qfhk here");
    expect(textOf(stranger.replies)).not.toContain("unit-idle");
    expect(unitStatus(emulator, "unit-idle")).toBe("Running");
  });

  it("runs a redelivered request once", async () => {
    const { chat } = await session();
    const request = chat.request(platform, "snooze unit-idle 4h", OPERATOR);
    const first = await chat.deliver(platform, request);
    const second = await chat.deliver(platform, request);
    expect(first.outcome).toBe("done");
    expect(second.answer.status).toBe(200);
    expect(second.outcome).toBeUndefined();
    expect(second.replies).toEqual([]);
  });

  it("refuses a tampered request with a bare 401, running and storing nothing", async () => {
    const { chat, store } = await session();
    const request = chat.request(platform, "snoozes", OPERATOR);
    const tampered = { ...request, headers: { ...request.headers } };
    const name = Object.keys(tampered.headers).find((h) => /sign|timestamp/.test(h));
    if (name) tampered.headers[name] = `${tampered.headers[name]}0`;
    else tampered.query = { ...tampered.query, msg_signature: `${tampered.query.msg_signature}0` };
    const answer = await chat.deliver(platform, tampered);
    expect(answer.answer).toEqual({ status: 401, body: "" });
    expect(answer.outcome).toBeUndefined();
    expect(await store.listAudit({})).toEqual([]);
  });
});

// Buttons where the platform's room messages carry them (DingTalk: an interactive card in a group
// chat); WeCom group chats (markdown) confirm with the one-time code, tested on every platform above.
describe.each(["slack", "feishu", "dingtalk"] as const)("confirmation buttons on %s", (platform) => {
  it("releases an idle unit only after the operator confirms, once", async () => {
    const { chat, emulator, store, advance } = await session();
    const asked = await chat.send(platform, "release unit-idle", OPERATOR);
    expect(asked.outcome).toBe("planned");
    expect(unitStatus(emulator, "unit-idle")).toBe("Running");
    const id = confirmationIdIn(textOf(asked.replies));
    const done = await chat.press(platform, id, OPERATOR);
    expect(done.outcome).toBe("done");
    expect(unitStatus(emulator, "unit-idle")).toBe("Releasing");
    expect(textOf(done.replies)).toContain("released unit-idle");
    // The same button again, a second later, does nothing.
    advance(1000);
    const again = await chat.press(platform, id, OPERATOR);
    expect(again.outcome).toBe("refused");
    const audit = await store.listAudit({ job: "chat" });
    expect(
      audit.some((r) => r.platform === platform && r.user === "op-1" && r.command === "release unit-idle"),
    ).toBe(true);
  });
});

describe("DingTalk confirmation cards", () => {
  it("sends the card through the robot's card API, and a press by anyone else does nothing", async () => {
    const { chat, emulator } = await session();
    const asked = await chat.send("dingtalk", "release unit-idle", OPERATOR);
    expect(asked.replies.map((r) => r.route)).toEqual(["dingtalk.token", "dingtalk.card"]);
    const id = confirmationIdIn(textOf(asked.replies));

    const viewer = await chat.press("dingtalk", id, VIEWER);
    const elsewhere = await chat.press("dingtalk", id, { ...OPERATOR, room: "room-other" });

    expect(viewer.outcome).toBe("refused");
    expect(elsewhere.outcome).toBe("refused");
    expect(unitStatus(emulator, "unit-idle")).toBe("Running");
  });
});

describe("Slack app mentions", () => {
  it("answers an @mention in its channel thread through chat.postMessage with the bot token", async () => {
    const { chat } = await session();
    const mention = slackMentionEvent("snoozes", {
      signingSecret: chat.secrets.slack!.signingSecret,
      timestampS: Math.floor(T0.getTime() / 1000),
      userId: VIEWER.user,
      channelId: VIEWER.room,
      ts: "1763863200.000300",
    });

    const exchange = await chat.deliver("slack", mention);

    expect(exchange.answer.status).toBe(200);
    expect(exchange.outcome).toBe("done");
    expect(exchange.replies).toMatchObject([
      {
        route: "slack.postMessage",
        answer: { ok: true },
        body: { channel: "room-ops", thread_ts: "1763863200.000300" },
      },
    ]);
    expect(textOf(exchange.replies)).toContain("No snoozes");
  });
});

describe("confirmations", () => {
  it("does nothing with an expired confirmation", async () => {
    const { chat, emulator, advance } = await session();
    const asked = await chat.send("slack", "release unit-idle", OPERATOR);
    advance(6 * 60_000);
    const late = await chat.press("slack", confirmationIdIn(textOf(asked.replies)), OPERATOR);
    expect(late.outcome).toBe("refused");
    expect(unitStatus(emulator, "unit-idle")).toBe("Running");
  });

  it("refuses a direct release of a busy unit, with the reason", async () => {
    const { chat, emulator } = await session();
    const asked = await chat.send("slack", "release unit-busy", OPERATOR);
    const done = await chat.press("slack", confirmationIdIn(textOf(asked.replies)), OPERATOR);
    expect(done.outcome).toBe("refused");
    expect(textOf(done.replies)).toContain("busy");
    expect(unitStatus(emulator, "unit-busy")).toBe("Running");
  });
});

function confirmationIdIn(text: string): string {
  const id =
    /confirm:([A-Za-z0-9_-]{16,})/.exec(text)?.[1] ?? /\\"confirm\\":\\"([A-Za-z0-9_-]{16,})/.exec(text)?.[1];
  if (!id) throw new Error(`no confirmation id in ${text.slice(0, 400)}`);
  return id;
}

function confirmationCodeIn(text: string): string {
  const code = /confirm (\d{6})\b/.exec(text)?.[1];
  if (!code) throw new Error(`no confirmation code in ${text.slice(0, 400)}`);
  return code;
}
