import { writeFile } from "node:fs/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { runQfhk } from "../support/cli";
import { emulatorWith, postpaidUnit, T0 } from "../support/emulator";
import { type TempConfig, tempConfig } from "../support/temp-config";

const H = 3_600_000;

const fleet = {
  computeUnits: [
    postpaidUnit("unit-idle-a"),
    postpaidUnit("unit-idle-b", { region: "bd" }),
    postpaidUnit("unit-idle-c", { type: "gpu-2", totalComputeUnits: 8 }),
    postpaidUnit("unit-busy", { usedComputeUnits: 2 }),
    postpaidUnit("unit-prepaid", { paymentTiming: "Prepaid", expiredTime: "2026-12-20T00:00:00Z" }),
    postpaidUnit("unit-prod-1"),
    postpaidUnit("unit-new", { startTime: "2026-11-23T01:50:00Z" }),
  ],
};

let setup: TempConfig;
let emulator: RunningEmulator;
let config: string;

beforeEach(async () => {
  setup = await tempConfig("e2e", [
    "version: 1",
    "state: { kind: file, path: state.json }",
    "guards: { maxActionsPerRun: 5, maxFleetFraction: 0.6 }",
    "jobs:",
    "  release-units:",
    "    minAge: 1h",
    "    idleFor: 2h",
    "    protect:",
    '      - instanceId: "unit-prod-*"',
  ]);
  config = setup.config;
  emulator = await emulatorWith(fleet);
});
afterEach(async () => {
  await emulator.close();
  await setup.remove();
});

const qfhk = (args: string[]) => runQfhk(args, emulator.url);

const releaseCalls = () =>
  emulator.requestLog
    .filter((e) => e.action === "ReleaseComputeUnit")
    .map((e) => (e.body as { instanceId: string }).instanceId);

describe("qfhk run release-units against the emulator over HTTP", () => {
  it("marks idle units at T and releases exactly those at T+idleFor", async () => {
    const first = await qfhk([
      "run",
      "release-units",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      T0.toISOString(),
      "--json",
    ]);
    expect(first.code).toBe(0);
    const report1 = JSON.parse(first.stdout) as RunReport;
    expect(report1.dryRun).toBe(false);
    expect(
      report1.jobs[0]!.decisions.filter((d) => d.rule === "idle-too-short").map((d) => d.resourceId),
    ).toEqual(["unit-idle-a", "unit-idle-b", "unit-idle-c"]);
    expect(report1.jobs[0]!.decisions.find((d) => d.resourceId === "unit-new")).toMatchObject({
      rule: "too-young",
    });
    expect(releaseCalls()).toEqual([]);

    const later = new Date(T0.getTime() + 2 * H);
    emulator.clock.set(later);
    const second = await qfhk([
      "run",
      "release-units",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      later.toISOString(),
      "--json",
    ]);
    expect(second.code).toBe(0);
    const report2 = JSON.parse(second.stdout) as RunReport;
    const acted = report2.jobs[0]!.decisions.filter((d) => d.verdict === "act");
    expect(acted.map((d) => [d.resourceId, d.outcome?.status, d.outcome?.observed])).toEqual([
      ["unit-idle-a", "done", "status Releasing"],
      ["unit-idle-b", "done", "status Releasing"],
      ["unit-idle-c", "done", "status Releasing"],
      ["unit-new", "done", "status Releasing"],
    ]);
    expect(acted[0]!.reason).toBe("idle since 10:00 +08:00, 2h ≥ 2h");
    expect(releaseCalls().sort()).toEqual(["unit-idle-a", "unit-idle-b", "unit-idle-c", "unit-new"]);
    expect(report2.jobs[0]!.totals).toMatchObject({ done: 4, computeUnitsReleased: 20 });

    const history = await qfhk(["history", "--config", config, "--json"]);
    const records = JSON.parse(history.stdout) as Array<{ resourceId: string; outcome: string }>;
    expect(records.map((r) => [r.resourceId, r.outcome]).sort()).toEqual([
      ["unit-idle-a", "done"],
      ["unit-idle-b", "done"],
      ["unit-idle-c", "done"],
      ["unit-new", "done"],
    ]);
  });

  it("is a dry run against an endpoint unless --apply, and plan records nothing", async () => {
    const later = new Date(T0.getTime() + 3 * H);
    emulator.clock.set(later);
    const plan = await qfhk(["plan", "all", "--config", config]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain("DRY RUN");
    const dry = await qfhk(["run", "all", "--config", config]);
    expect(dry.stdout).toContain("DRY RUN");
    const whatIf = await qfhk(["run", "all", "--config", config, "--now", later.toISOString()]);
    expect(whatIf.stdout).toContain("WHAT-IF (as of another moment: nothing is changed or recorded)");
    expect(emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit")).toEqual([]);
    const history = await qfhk(["history", "--config", config]);
    expect(history.stdout).toContain("no actions recorded yet");
  });

  it("leaves a snoozed unit alone", async () => {
    await qfhk([
      "run",
      "release-units",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      T0.toISOString(),
    ]);
    const snooze = await qfhk([
      "snooze",
      "unit-idle-b",
      "1d",
      "--config",
      config,
      "--simulate",
      "--now",
      T0.toISOString(),
    ]);
    expect(snooze.stdout).toContain("unit-idle-b snoozed until 2026-11-24 10:00 +08:00 (Asia/Shanghai)");
    const later = new Date(T0.getTime() + 2 * H);
    emulator.clock.set(later);
    await qfhk([
      "run",
      "release-units",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      later.toISOString(),
    ]);
    expect(releaseCalls().sort()).toEqual(["unit-idle-a", "unit-idle-c", "unit-new"]);
  });

  it("lets only one of two runs started together act: the other exits on the lock", async () => {
    const later = new Date(T0.getTime() + 5 * H);
    emulator.clock.set(later);
    emulator.setFaults({ latencyMs: 150 });
    const args = [
      "run",
      "release-units",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      later.toISOString(),
    ];
    // Both runs see the units as expired (maxAge), so both would act without the lock.
    await writeFile(config, `${(await import("node:fs")).readFileSync(config, "utf8")}\n    maxAge: 1d\n`);
    const [a, b] = await Promise.all([qfhk(args), qfhk(args)]);
    const outputs = [a, b].map((r) => r.stdout + r.stderr);
    const locked = outputs.filter((o) => o.includes("another run holds the lock"));
    expect(locked).toHaveLength(1);
    expect([a.code, b.code].sort()).toEqual([0, 3]);
    const calls = releaseCalls();
    expect(new Set(calls).size).toBe(calls.length);
    expect(calls.sort()).toEqual(["unit-idle-a", "unit-idle-b", "unit-idle-c"]);
  });
});
