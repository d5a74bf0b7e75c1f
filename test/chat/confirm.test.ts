import { describe, expect, it } from "vitest";
import { type ChatCommand, commandText } from "../../lib/chat/commands";
import { CONFIRMATION_NAMESPACE, consumeConfirmation, createConfirmation } from "../../lib/chat/confirm";
import type { ChatSender } from "../../lib/chat/types";
import { MemoryStateStore } from "../../lib/state";

const TTL = 5 * 60_000;
const START = Date.parse("2031-03-04T05:06:07.000Z");
const alice: ChatSender = { platform: "slack", userId: "U-ALICE", roomId: "C-OPS" };
const release: ChatCommand = { verb: "release", unitId: "unit-z8c4g6mu" };

/** A store, a clock the test moves by hand, and `ask`: Alice's release waiting for her, now. */
function setup() {
  let nowMs = START;
  const store = new MemoryStateStore({ clock: () => nowMs });
  return {
    store,
    now: () => new Date(nowMs),
    ask: (over: { sender?: ChatSender; command?: ChatCommand; ttlMs?: number } = {}) =>
      createConfirmation(store, {
        sender: alice,
        command: release,
        now: new Date(nowMs),
        ttlMs: TTL,
        ...over,
      }),
    advance: (ms: number) => {
      nowMs += ms;
    },
  };
}

describe("createConfirmation", () => {
  it("gives a 128-bit url-safe id, a 6-digit code and the moment it lapses", async () => {
    const { ask } = setup();

    const confirmation = await ask();

    expect(confirmation.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(confirmation.id, "base64url")).toHaveLength(16);
    expect(confirmation.code).toMatch(/^\d{6}$/);
    expect(confirmation.expiresAt).toBe("2031-03-04T05:11:07.000Z");
  });

  it("never gives the same id twice, nor the same code twice to one person", async () => {
    const { ask } = setup();
    const made = [];
    for (let i = 0; i < 50; i += 1) {
      made.push(await ask());
    }
    expect(new Set(made.map((c) => c.id)).size).toBe(50);
    expect(new Set(made.map((c) => c.code)).size).toBe(50);
  });

  it("binds the confirmation to the command's canonical text", async () => {
    const { store, ask } = setup();
    const { id } = await ask();

    const stored = await store.get<{ command: string; userId: string }>(CONFIRMATION_NAMESPACE, id);

    expect(stored).toMatchObject({ command: "release unit-z8c4g6mu", userId: "U-ALICE" });
  });

  it("refuses a lifetime that is no positive number", async () => {
    const { store, now } = setup();
    for (const ttlMs of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(
        createConfirmation(store, { sender: alice, command: release, now: now(), ttlMs }),
      ).rejects.toThrow(RangeError);
    }
  });
});

describe("consumeConfirmation", () => {
  it("carries out the confirmed command once, by id", async () => {
    const { store, now, advance, ask } = setup();
    const { id } = await ask();
    advance(60_000);

    const first = await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });
    const second = await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });

    expect(first).toEqual({ ok: true, command: release });
    expect(second).toEqual({ ok: false, message: "That confirmation was already used." });
  });

  it("carries out the confirmed command once, by the typed code", async () => {
    const { store, now, ask } = setup();
    const { id, code } = await ask();

    const first = await consumeConfirmation(store, { idOrCode: ` ${code} `, sender: alice, now: now() });
    const byCodeAgain = await consumeConfirmation(store, { idOrCode: code, sender: alice, now: now() });
    const byIdAfter = await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });

    expect(first).toEqual({ ok: true, command: release });
    expect(byCodeAgain).toMatchObject({ ok: false, message: "That confirmation was already used." });
    expect(byIdAfter).toMatchObject({ ok: false, message: "That confirmation was already used." });
  });

  it("lets only one of two presses at the same moment win", async () => {
    const { store, now, ask } = setup();
    const { id, code } = await ask();

    const answers = await Promise.all([
      consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() }),
      consumeConfirmation(store, { idOrCode: code, sender: alice, now: now() }),
      consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() }),
    ]);

    expect(answers.filter((a) => a.ok)).toHaveLength(1);
  });

  it("refuses another user, and leaves the confirmation to its owner", async () => {
    const { store, now, ask } = setup();
    const { id } = await ask();
    const bob: ChatSender = { platform: "slack", userId: "U-BOB", roomId: "C-OPS" };

    const byBob = await consumeConfirmation(store, { idOrCode: id, sender: bob, now: now() });
    const byAlice = await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });

    expect(byBob).toEqual({
      ok: false,
      message: "That confirmation is someone else's: only the person who sent the command may confirm it.",
    });
    expect(byAlice.ok).toBe(true);
  });

  it("refuses the same user id on another platform", async () => {
    const { store, now, ask } = setup();
    const { id } = await ask();

    const answer = await consumeConfirmation(store, {
      idOrCode: id,
      sender: { ...alice, platform: "feishu" },
      now: now(),
    });

    expect(answer).toMatchObject({ ok: false, message: expect.stringContaining("someone else's") });
  });

  it("knows a code only for the person it was given to", async () => {
    const { store, now, ask } = setup();
    const { code } = await ask();
    const bob: ChatSender = { platform: "slack", userId: "U-BOB", roomId: "C-OPS" };

    const answer = await consumeConfirmation(store, { idOrCode: code, sender: bob, now: now() });

    expect(answer).toEqual({
      ok: false,
      message: `No confirmation with code ${code} is waiting for you; send the command again.`,
    });
  });

  it("refuses the right user in another room or in a direct message", async () => {
    const { store, now, ask } = setup();
    const { id, code } = await ask();
    const elsewhere = { ...alice, roomId: "C-RANDOM" };
    const direct: ChatSender = { platform: "slack", userId: "U-ALICE" };

    const byId = await consumeConfirmation(store, { idOrCode: id, sender: elsewhere, now: now() });
    const byCode = await consumeConfirmation(store, { idOrCode: code, sender: direct, now: now() });
    const inTheRoom = await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });

    expect(byId).toEqual({ ok: false, message: "Confirm in the room where you sent the command." });
    expect(byCode).toEqual({ ok: false, message: "Confirm in the room where you sent the command." });
    expect(inTheRoom.ok).toBe(true);
  });

  it("works for a command sent without a room, from no room", async () => {
    const { store, now } = setup();
    const direct: ChatSender = { platform: "wecom", userId: "zhangsan" };
    const { code } = await createConfirmation(store, {
      sender: direct,
      command: release,
      now: now(),
      ttlMs: TTL,
    });

    expect(await consumeConfirmation(store, { idOrCode: code, sender: direct, now: now() })).toEqual({
      ok: true,
      command: release,
    });
  });

  it("refuses a confirmation once its time is up, and takes one a moment before", async () => {
    const early = setup();
    const a = await createConfirmation(early.store, {
      sender: alice,
      command: release,
      now: early.now(),
      ttlMs: TTL,
    });
    early.advance(TTL - 1);
    expect(
      (await consumeConfirmation(early.store, { idOrCode: a.id, sender: alice, now: early.now() })).ok,
    ).toBe(true);

    const late = setup();
    const b = await createConfirmation(late.store, {
      sender: alice,
      command: release,
      now: late.now(),
      ttlMs: TTL,
    });
    late.advance(TTL);
    const answer = await consumeConfirmation(late.store, { idOrCode: b.id, sender: alice, now: late.now() });
    expect(answer).toEqual({
      ok: false,
      message: "That confirmation expired at 2031-03-04T05:11:07.000Z; send the command again.",
    });
  });

  it("keeps an expired confirmation refused when it is pressed again", async () => {
    const { store, now, advance, ask } = setup();
    const { id } = await ask();
    advance(TTL + 60_000);

    await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });
    const again = await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() });

    expect(again.ok).toBe(false);
  });

  it("calls a confirmation long gone unknown", async () => {
    const { store, now, advance, ask } = setup();
    const { id, code } = await ask();
    advance(TTL + 2 * 3_600_000);

    expect(await consumeConfirmation(store, { idOrCode: id, sender: alice, now: now() })).toEqual({
      ok: false,
      message: "That confirmation is unknown or long expired; send the command again.",
    });
    expect(await consumeConfirmation(store, { idOrCode: code, sender: alice, now: now() })).toMatchObject({
      ok: false,
      message: expect.stringContaining(`No confirmation with code ${code}`),
    });
  });

  it("refuses ids never given and text that is no code", async () => {
    const { store, now } = setup();

    const unknown = await consumeConfirmation(store, {
      idOrCode: "AAAAAAAAAAAAAAAAAAAAAA",
      sender: alice,
      now: now(),
    });
    const garbage = await consumeConfirmation(store, { idOrCode: "__proto__", sender: alice, now: now() });

    expect(unknown).toMatchObject({ ok: false, message: expect.stringContaining("unknown") });
    expect(garbage).toEqual({ ok: false, message: "That is no confirmation code; it has 6 digits." });
  });

  it("gives back every destructive command exactly as it was confirmed", async () => {
    const commands: ChatCommand[] = [
      { verb: "run", job: "all", apply: true },
      { verb: "scale", serviceId: "svco-a", unitId: "unit-b", replicas: 0 },
      { verb: "stop", taskId: "task-1" },
      { verb: "tpm-buy", model: "ernie-speed-8k", count: 2, until: "2031-03-04T10:00:00.000Z" },
      { verb: "tpm-release", instanceId: "tpm-1" },
    ];
    for (const command of commands) {
      const { store, now } = setup();
      const { code } = await createConfirmation(store, { sender: alice, command, now: now(), ttlMs: TTL });

      const answer = await consumeConfirmation(store, { idOrCode: code, sender: alice, now: now() });

      expect(answer).toEqual({ ok: true, command });
      if (answer.ok) expect(commandText(answer.command)).toBe(commandText(command));
    }
  });
});
