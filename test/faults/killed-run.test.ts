import { spawn } from "node:child_process";
import { afterEach, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import type { RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { capture } from "../support/cli";
import { emulatorWith } from "../support/emulator";
import { type TempConfig, tempConfig } from "../support/temp-config";
import { appliedActions, JOB_CASES, NOW } from "./harness";

const job = JOB_CASES[0]!;
let emulator: RunningEmulator | undefined;
let setup: TempConfig | undefined;
afterEach(async () => {
  await emulator?.close();
  await setup?.remove();
});

const until = async (check: () => boolean, ms: number) => {
  const end = performance.now() + ms;
  while (!check()) {
    if (performance.now() > end) throw new Error("waited too long");
    await new Promise((r) => setTimeout(r, 20));
  }
};

it("a run killed mid-action and started again acts on each eligible unit once, and reports what it found", async () => {
  // The third release is applied and never answered; the process is killed while it waits.
  emulator = await emulatorWith(job.fleet);
  emulator.injectFault({ action: "ReleaseComputeUnit", kind: "hang-after-apply", times: 1, skip: 2 });
  setup = await tempConfig("killed", [
    "version: 1",
    "state: { kind: file, path: state.json }",
    "guards: { maxActionsPerRun: 20, maxFleetFraction: 1, actionConcurrency: 1 }",
    "jobs:",
    ...job.config,
  ]);
  const args = (at: Date) => [
    "run",
    "release-units",
    "--apply",
    "--simulate",
    "--config",
    setup!.config,
    "--now",
    at.toISOString(),
    "--json",
  ];
  const cliEnv = { QIANFAN_CONSOLE_API_BASE_URL: emulator.url };
  const snoozed = [
    "snooze",
    "unit-snoozed",
    "1d",
    "--config",
    setup.config,
    "--simulate",
    "--now",
    NOW.toISOString(),
  ];
  expect(await main(snoozed, capture().io, cliEnv, () => NOW)).toBe(0);
  const env: Record<string, string | undefined> = { ...process.env, ...cliEnv };
  delete env.QIANFAN_ACCESS_KEY;
  delete env.QIANFAN_SECRET_KEY;
  const child = spawn(process.execPath, ["bin/qfhk.mjs", ...args(NOW)], { env, stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on("exit", (_code, signal) => resolve(signal)),
  );
  const log = emulator.requestLog;
  await until(() => log.some((e) => e.fault === "hang-after-apply"), 60_000);
  child.kill("SIGKILL");
  expect(await exited).toBe("SIGKILL");
  const killedAt = appliedActions(job, log);
  expect(killedAt).toHaveLength(3);

  // Started again after the killed run's lease (5 min) lapsed.
  const later = new Date(NOW.getTime() + 10 * 60_000);
  emulator.clock.set(later);
  const out = capture();
  const code = await main(args(later), out.io, cliEnv, () => later);
  const report = JSON.parse(out.out.join("")) as RunReport;

  expect(code).toBe(0);
  const applied = appliedActions(job, log);
  expect(new Set(applied).size).toBe(applied.length);
  expect(applied.sort()).toEqual(Array.from({ length: 5 }, (_, i) => `unit-expired-${i}`));
  const second = report.jobs[0]!.decisions.filter((d) => d.outcome?.status === "done").map(
    (d) => d.resourceId,
  );
  expect(second.sort()).toEqual(applied.filter((id) => !killedAt.includes(id)).sort());
  expect(report.jobs[0]!.status).toBe("ok");
});
