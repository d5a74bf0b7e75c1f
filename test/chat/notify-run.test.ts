import { afterEach, expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { notifyRun } from "../../lib/chat/notify-run";
import { type ChatStandIn, startChatStandIn } from "../../lib/chat/outbound/stand-in";
import { parseConfig } from "../../lib/config";
import type { RunningEmulator } from "../../lib/emulator";
import { MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit, T0 } from "../support/emulator";

let emulator: RunningEmulator | undefined;
let standIn: ChatStandIn | undefined;
afterEach(async () => {
  await emulator?.close();
  await standIn?.close();
});

const CONFIG = [
  "version: 1",
  "dryRun: false",
  "guards: { maxFleetFraction: 1 }",
  "chat:",
  "  slack: { notify: { webhookSecretKey: slackOps } }",
  "  dingtalk: { notify: { webhookSecretKey: dingOps, signSecretKey: dingSign } }",
  "  wecom: { notify: { webhookSecretKey: wecomOps } }",
].join("\n");

it("posts a run's summary to every configured room, signed where the bot wants it, and reports what it could not send", async () => {
  emulator = await emulatorWith({
    computeUnits: [
      postpaidUnit("unit-old", { releaseTime: "2026-11-22T00:00:00Z", autoReleaseSkipped: true }),
    ],
  });
  standIn = await startChatStandIn({ now: () => T0 });
  const config = parseConfig(CONFIG, "c.yml");
  const report = await runHousekeeping({
    config,
    api: apiFor(emulator),
    store: new MemoryStateStore({ clock: () => T0.getTime() }),
    job: "release-units",
    dryRun: false,
    now: T0,
    clock: () => T0,
    target: "the emulator",
  });
  const webhooks = {
    slackOps: standIn.addBot("slack"),
    dingOps: standIn.addBot("dingtalk", { secret: "SECdemo" }),
    dingSign: "SECdemo",
    // wecomOps is missing from the secret: reported, and the other rooms still hear about the run.
  };
  const { results, problems } = await notifyRun(report, config, webhooks, { now: () => T0 });
  expect(results.map((r) => [r.platform, r.ok])).toEqual([
    ["slack", true],
    ["dingtalk", true],
  ]);
  expect(problems).toEqual(["chat.wecom.notify: no webhook 'wecomOps' in the secret's chat.webhooks"]);
  const posted = JSON.stringify(standIn.received.map((r) => r.body));
  expect(posted).toContain("unit-old");
  expect(JSON.stringify(results)).not.toContain(webhooks.slackOps);
});

it("never throws when a room cannot be reached", async () => {
  standIn = await startChatStandIn({ now: () => T0 });
  const config = parseConfig(CONFIG, "c.yml");
  emulator = await emulatorWith({
    computeUnits: [
      postpaidUnit("unit-old", { releaseTime: "2026-11-22T00:00:00Z", autoReleaseSkipped: true }),
    ],
  });
  const report = await runHousekeeping({
    config,
    api: apiFor(emulator),
    store: new MemoryStateStore({ clock: () => T0.getTime() }),
    job: "release-units",
    dryRun: true,
    now: T0,
    clock: () => T0,
    target: "the emulator",
  });
  const { results } = await notifyRun(
    report,
    config,
    {
      slackOps: "http://127.0.0.1:1/nowhere",
      dingOps: "http://127.0.0.1:1/x",
      dingSign: "s",
      wecomOps: "http://127.0.0.1:1/y",
    },
    { now: () => T0 },
  );
  expect(results.every((r) => !r.ok)).toBe(true);
  expect(results).toHaveLength(3);
});
