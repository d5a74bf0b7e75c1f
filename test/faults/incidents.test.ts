import { afterEach, describe, expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { parseConfig } from "../../lib/config";
import type { Fleet, RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit, T0, task } from "../support/emulator";

// Every incident class of the peers' tools, replayed against the emulator through the one entry
// every trigger uses. Related table tests: test/schedule/schedule.test.ts (DST days),
// test/jobs/scale-services-plan.test.ts (2→2 keeps what was remembered), test/engine/runner.test.ts
// (empty and invalid listings), test/engine/runner-trust.test.ts (deadlines, one failure).

const H = 3_600_000;
let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** An emulator and a store shared by the runs of one incident; `run` moves both clocks to `at`. */
async function incident(fleet: Fleet, config: string[]) {
  emulator = await emulatorWith(fleet);
  const running = emulator;
  const store = new MemoryStateStore({ clock: () => running.clock.now().getTime() });
  const parsed = parseConfig(["version: 1", "dryRun: false", ...config].join("\n"), "incident.yml");
  const api = apiFor(running, {
    timeoutMs: 400,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5, maxRetryTimeMs: 1000 },
  });
  const run = (at: Date, extra: Partial<Parameters<typeof runHousekeeping>[0]> = {}): Promise<RunReport> => {
    running.clock.set(at);
    return runHousekeeping({
      config: parsed,
      api,
      store,
      job: "all",
      dryRun: false,
      now: at,
      clock: () => at,
      target: running.url,
      ...extra,
    });
  };
  const sent = (action: string) =>
    running.requestLog
      .filter((e) => e.action === action && e.status === 200)
      .map((e) => e.body as Record<string, unknown>);
  return { emulator: running, store, run, sent };
}

const expired = (id: string, over: Record<string, unknown> = {}) =>
  postpaidUnit(id, {
    releaseTime: new Date(T0.getTime() - H).toISOString(),
    autoReleaseSkipped: true,
    ...over,
  });
const svc = (serviceId: string, unit: string, replicas: number) => ({
  serviceId,
  name: serviceId,
  createTime: "2026-10-01T00:00:00Z",
  updateTime: "2026-10-01T00:00:00Z",
  deployments: [{ instanceId: unit, replicas, computeUnitsPerReplica: 1 }],
});
const replicasOf = (e: RunningEmulator, serviceId: string) =>
  e.state.services.find((s) => s.serviceId === serviceId)!.deployments.reduce((n, d) => n + d.replicas, 0);

describe("1. acting on missing data", () => {
  it("never releases a unit whose protecting field is missing from the listing", async () => {
    const { emulator, run, sent } = await incident(
      { computeUnits: [expired("unit-ml", { creator: "ml-platform" }), expired("unit-other")] },
      ["jobs:", "  release-units:", "    protect: [{ creator: ml-platform }]"],
    );
    emulator.setDroppedFields([{ action: "DescribeComputeUnits", field: "creator" }]);
    const report = await run(T0);
    expect(sent("ReleaseComputeUnit")).toEqual([]);
    expect(report.jobs.find((j) => j.job === "release-units")!.status).toBe("stopped");
  });

  it("never stops a task when a page of the listing fails", async () => {
    const tasks = Array.from({ length: 150 }, (_, i) =>
      task(`task-${String(i).padStart(3, "0")}`, { createTime: "2026-11-20T00:00:00Z" }),
    );
    const { emulator, run, sent } = await incident({ batchTasks: tasks }, [
      "jobs:",
      "  stop-batch-tasks: { maxRuntime: 24h }",
    ]);
    emulator.injectFault({
      action: "DescribeBatchInferenceTasks",
      kind: "status",
      status: 500,
      skip: 1,
      times: 100,
    });
    const report = await run(T0, { job: "stop-batch-tasks" });
    expect(sent("StopBatchInferenceTask")).toEqual([]);
    expect(report.jobs[0]!.status).toBe("failed");
    expect(report.jobs[0]!.error!.message).toContain("DescribeBatchInferenceTasks");
  });

  it("never releases every unit when the listing comes back empty after a full one", async () => {
    const { emulator, run, sent } = await incident(
      { computeUnits: [postpaidUnit("unit-a"), postpaidUnit("unit-b"), postpaidUnit("unit-c")] },
      ["jobs:", "  release-units: { idleFor: 2h }"],
    );
    await run(T0, { job: "release-units" });
    emulator.injectFault({ action: "DescribeComputeUnits", kind: "empty-listing", times: 100 });
    const report = await run(new Date(T0.getTime() + 3 * H), { job: "release-units" });
    expect(sent("ReleaseComputeUnit")).toEqual([]);
    expect(report.jobs[0]!.status).toBe("stopped");
    expect(report.jobs[0]!.stoppedBy!.message).toMatch(/empty/);
  });

  it("acts only on the one resource asked for, never on everything the filter's neighbours match", async () => {
    const { run, sent } = await incident(
      { computeUnits: [expired("unit-a"), expired("unit-b"), expired("unit-c")] },
      ["jobs:", "  release-units: {}"],
    );
    await run(T0, { job: "release-units", only: ["unit-b"] });
    expect(sent("ReleaseComputeUnit").map((b) => b.instanceId)).toEqual(["unit-b"]);
  });
});

describe("2. time zones and DST", () => {
  // Monday 2 November 2026, the first weekday after New York fell back: 09:00 EST is 14:00Z.
  const binding =
    '    services: [{ serviceId: svc-ny, instanceId: unit-a, uptime: "Mon-Fri 09:00-17:00 America/New_York", downReplicas: 0 }]';
  it("keeps a service down until 09:00 in the schedule's own zone on the day after the clocks change", async () => {
    const { emulator, run } = await incident(
      {
        computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 8, usedComputeUnits: 2 })],
        services: [svc("svc-ny", "unit-a", 2)],
      },
      ["jobs:", "  scale-services:", binding],
    );
    await run(new Date("2026-11-02T13:30:00Z"), { job: "scale-services" });
    expect(replicasOf(emulator, "svc-ny")).toBe(0);
    await run(new Date("2026-11-02T13:59:00Z"), { job: "scale-services" });
    expect(replicasOf(emulator, "svc-ny")).toBe(0);
    await run(new Date("2026-11-02T14:01:00Z"), { job: "scale-services" });
    expect(replicasOf(emulator, "svc-ny")).toBe(2);
  });
});

describe("3. missed or edge-triggered runs", () => {
  const binding =
    '    services: [{ serviceId: svc-a, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00", downReplicas: 0 }]';
  const fleet = {
    computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 8, usedComputeUnits: 3 })],
    services: [svc("svc-a", "unit-a", 3)],
  };
  it("scales a service down at the first run after a missed edge, hours later and across midnight", async () => {
    const { emulator, run } = await incident(fleet, ["jobs:", "  scale-services:", binding]);
    // Friday 18:00 in Shanghai was missed; the next run is Saturday 01:30.
    await run(new Date("2026-11-27T17:30:00Z"), { job: "scale-services" });
    expect(replicasOf(emulator, "svc-a")).toBe(0);
  });

  it("keeps a Mon-Fri service down all weekend, at every run", async () => {
    const { emulator, run } = await incident(fleet, ["jobs:", "  scale-services:", binding]);
    for (const at of ["2026-11-28T02:00:00Z", "2026-11-28T12:00:00Z", "2026-11-29T04:00:00Z"]) {
      await run(new Date(at), { job: "scale-services" });
      expect(replicasOf(emulator, "svc-a")).toBe(0);
    }
    await run(new Date("2026-11-30T01:30:00Z"), { job: "scale-services" });
    expect(replicasOf(emulator, "svc-a")).toBe(3);
  });
});

describe("4. lost restore state", () => {
  it("restores the size remembered before the first scale-down, however many downtime runs follow", async () => {
    const { emulator, run, sent } = await incident(
      {
        computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 8, usedComputeUnits: 3 })],
        services: [svc("svc-a", "unit-a", 3)],
      },
      [
        "jobs:",
        "  scale-services:",
        '    services: [{ serviceId: svc-a, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00", downReplicas: 1 }]',
      ],
    );
    for (const at of ["2026-11-23T11:00:00Z", "2026-11-23T14:00:00Z", "2026-11-23T20:00:00Z"]) {
      await run(new Date(at), { job: "scale-services" });
      expect(replicasOf(emulator, "svc-a")).toBe(1);
    }
    expect(sent("ScaleService")).toHaveLength(1);
    await run(new Date("2026-11-24T01:30:00Z"), { job: "scale-services" });
    expect(replicasOf(emulator, "svc-a")).toBe(3);
  });
});

describe("5. success reported with no effect, and one failure aborting the run", () => {
  it("reports an error answered in a 200 as failed, and the other releases still happen", async () => {
    const { emulator, run, sent } = await incident(
      { computeUnits: [expired("unit-a"), expired("unit-b"), expired("unit-c")] },
      ["guards: { actionConcurrency: 1, maxFleetFraction: 1 }", "jobs:", "  release-units: {}"],
    );
    emulator.injectFault({
      action: "ReleaseComputeUnit",
      kind: "status",
      status: 200,
      code: "336001",
      times: 1,
    });
    const report = await run(T0, { job: "release-units" });
    const outcomes = Object.fromEntries(
      report.jobs[0]!.decisions.map((d) => [d.resourceId, d.outcome?.status]),
    );
    expect(outcomes).toEqual({ "unit-a": "failed", "unit-b": "done", "unit-c": "done" });
    expect(
      sent("ReleaseComputeUnit")
        .map((b) => b.instanceId)
        .sort(),
    ).toEqual(["unit-a", "unit-b", "unit-c"]);
    expect(emulator.state.units.find((u) => u.instanceId === "unit-a")!.status).toBe("Running");
  });
});

describe("6. timeouts at scale", () => {
  it("stops starting new work before the deadline and reports what was deferred", async () => {
    const { emulator, run } = await incident(
      { computeUnits: Array.from({ length: 6 }, (_, i) => expired(`unit-${i}`)) },
      ["guards: { actionConcurrency: 1, maxFleetFraction: 1 }", "jobs:", "  release-units: {}"],
    );
    const released = () => emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit").length;
    const report = await run(T0, {
      job: "release-units",
      remainingMs: () => (released() >= 2 ? 5_500 : 600_000),
    });
    const statuses = report.jobs[0]!.decisions.map((d) => d.outcome?.status);
    expect(statuses.filter((s) => s === "done")).toHaveLength(2);
    expect(statuses.filter((s) => s === "deferred")).toHaveLength(4);
    expect(released()).toBe(2);
  });
});

describe("7. everything waking at once", () => {
  it("restores services in binding order, each once, and leaves one that does not fit for later", async () => {
    const services = ["svc-1", "svc-2", "svc-3"].map((id) => svc(id, "unit-a", 0));
    const { emulator, run, sent } = await incident(
      { computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 4, usedComputeUnits: 0 })], services },
      [
        "jobs:",
        "  scale-services:",
        "    maxConcurrentRestores: 1",
        "    services:",
        ...["svc-3", "svc-1", "svc-2"].map(
          (id) =>
            `      - { serviceId: ${id}, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00", upReplicas: 2 }`,
        ),
      ],
    );
    const report = await run(new Date("2026-11-23T02:00:00Z"), { job: "scale-services" });
    expect(sent("ScaleService").map((b) => b.serviceId)).toEqual(["svc-3", "svc-1"]);
    expect(replicasOf(emulator, "svc-2")).toBe(0);
    expect(report.jobs[0]!.decisions.find((d) => d.resourceId === "svc-2/unit-a")!.outcome?.status).not.toBe(
      "done",
    );
  });
});

describe("8. exclusion lists that replace the defaults", () => {
  it("keeps the built-in protections when the user lists their own", async () => {
    const { run, sent } = await incident(
      {
        computeUnits: [
          expired("unit-sys", { creator: "system-scheduler" }),
          expired("unit-a-keep"),
          expired("unit-prod-1"),
          expired("unit-free"),
        ],
      },
      ["jobs:", "  release-units:", '    protect: [{ instanceId: "unit-prod-*" }]'],
    );
    await run(T0, { job: "release-units" });
    expect(sent("ReleaseComputeUnit").map((b) => b.instanceId)).toEqual(["unit-free"]);
  });
});
