import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import type { GuardPolicy } from "../../lib/engine/guards";
import type { AnyJob } from "../../lib/engine/job";
import { runJobs } from "../../lib/engine/runner";
import type { DecisionReport } from "../../lib/engine/types";
import { releaseUnitsJob, stopBatchTasksJob } from "../../lib/jobs";
import type { QianfanApi } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit, T0, task } from "../support/emulator";
import { slowFirstGet } from "../support/slow-store";

const H = 3_600_000;
const guards: GuardPolicy = {
  maxActionsPerRun: 1000,
  maxFleetFraction: 1,
  allowEmptyListing: false,
  allowInvalidItems: false,
};
const instant = { attempts: 2, delayMs: 0 };

/**
 * The api, with `meanwhile` run once right after listing number `at` has come back — by default
 * the first, the plan's: whatever it changes on the platform happened between the plan and the
 * action. (Remembered state is read after a listing, so a change to it is made after the second.)
 */
function changingAfterPlan(
  api: QianfanApi,
  meanwhile: () => Promise<void> | void,
  sent?: (id: string) => void,
  at = 1,
) {
  let listings = 0;
  return new Proxy(api, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "describeComputeUnitsChecked" || prop === "describeBatchTasksChecked") {
        return async (...args: unknown[]) => {
          const listing = await value.apply(target, args);
          listings += 1;
          if (listings === at) await meanwhile();
          return listing;
        };
      }
      if (prop === "releaseComputeUnit" || prop === "stopBatchTask") {
        return async (...args: unknown[]) => {
          const outcome = await value.apply(target, args);
          sent?.(args[0] as string);
          return outcome;
        };
      }
      return value.bind(target);
    },
  });
}

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const calls = (action: string) => emulator!.requestLog.filter((e) => e.action === action);
const outcomes = (decisions: DecisionReport[]) =>
  Object.fromEntries(decisions.filter((d) => d.verdict === "act").map((d) => [d.resourceId, d.outcome]));

/**
 * How long a listing stays fresh in these runs, and how much older than that the plan's listing is
 * when the run comes to act (a slow read of the run's memo right after it): a change made after
 * the plan's listing is then met by the listing the run makes again for its last look.
 */
const FRESH_MS = 300;
const STALE_MS = 400;

/** One applying run of `job` at T0 on `api`; its job report. */
async function runOne(job: AnyJob, api: QianfanApi, store = new MemoryStateStore()) {
  const report = await runJobs({
    jobs: [job],
    api,
    store,
    memory: new JobMemory(slowFirstGet(store, STALE_MS)),
    listingFreshMs: FRESH_MS,
    guards,
    now: T0,
    clock: () => T0,
    dryRun: false,
    target: "emulator",
  });
  return report.jobs[0]!;
}

function releaseRun(api: QianfanApi, store = new MemoryStateStore()) {
  const job = releaseUnitsJob({
    policy: { minAgeMs: H, idleForMs: 2 * H, maxAgeMs: 24 * H, timeZone: "Asia/Shanghai" },
    protectedBy: () => undefined,
    confirm: instant,
  });
  return runOne(job, api, store);
}

function stopRun(api: QianfanApi) {
  const job = stopBatchTasksJob({
    policy: { maxRuntimeMs: 24 * H, maxQueuedMs: 6 * H, limits: [], timeZone: "Asia/Shanghai" },
    protectedBy: () => undefined,
    confirm: instant,
  });
  return runOne(job, api);
}

const units = ["unit-a", "unit-b", "unit-c"].map((id) => postpaidUnit(id));

describe("the last look from the listing right before a batch", () => {
  it("releases every eligible unit with one call each, between two listings", async () => {
    emulator = await emulatorWith({ computeUnits: units });
    const report = await releaseRun(apiFor(emulator));
    expect(Object.values(outcomes(report.decisions)).map((o) => o?.status)).toEqual(["done", "done", "done"]);
    expect(outcomes(report.decisions)["unit-a"]).toMatchObject({ observed: "status Releasing" });
    expect(calls("ReleaseComputeUnit")).toHaveLength(3);
    expect(calls("DescribeComputeUnit")).toHaveLength(0);
    // The plan's listing (stale by the time of acting), the last look before the batch, the
    // confirmation after it.
    expect(calls("DescribeComputeUnits")).toHaveLength(3);
  });

  it("refuses a unit a service started using between plan and action", async () => {
    emulator = await emulatorWith({
      computeUnits: units,
      services: [
        {
          serviceId: "svc-1",
          name: "chat",
          createTime: "2026-11-20T00:00:00Z",
          deployments: [{ instanceId: "unit-b", replicas: 0 }],
        },
      ],
    });
    const api = apiFor(emulator);
    const report = await releaseRun(
      changingAfterPlan(api, () => api.scaleService("svc-1", "unit-b", 1).then(() => {})),
    );
    const byId = outcomes(report.decisions);
    expect(byId["unit-b"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("busy: 1 of 4"),
    });
    expect(
      calls("ReleaseComputeUnit")
        .map((e) => (e.body as { instanceId: string }).instanceId)
        .sort(),
    ).toEqual(["unit-a", "unit-c"]);
    expect(emulator.state.busyReleases).toEqual([]);
  });

  it("refuses a unit that became prepaid between plan and action", async () => {
    emulator = await emulatorWith({ computeUnits: units });
    const report = await releaseRun(
      changingAfterPlan(apiFor(emulator), () => {
        emulator!.state.findUnit("unit-c").paymentTiming = "Prepaid";
      }),
    );
    expect(outcomes(report.decisions)["unit-c"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("prepaid"),
    });
    expect(
      calls("ReleaseComputeUnit").map((e) => (e.body as { instanceId: string }).instanceId),
    ).not.toContain("unit-c");
  });

  it("does not release again a unit released between plan and action", async () => {
    emulator = await emulatorWith({ computeUnits: units });
    const api = apiFor(emulator);
    const report = await releaseRun(
      changingAfterPlan(api, () => api.releaseComputeUnit("unit-a").then(() => {})),
    );
    expect(outcomes(report.decisions)["unit-a"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("status Releasing"),
    });
    // The one release of unit-a is the change made meanwhile, not the job's.
    expect(
      calls("ReleaseComputeUnit").filter((e) => (e.body as { instanceId: string }).instanceId === "unit-a"),
    ).toHaveLength(1);
  });

  it("refuses a unit snoozed between plan and action", async () => {
    emulator = await emulatorWith({ computeUnits: units });
    const store = new MemoryStateStore();
    const memory = new JobMemory(store);
    // The store lets a snooze lapse on the real clock; the plan reads it at T0.
    const until = new Date(Math.max(Date.now(), T0.getTime()) + 24 * H).toISOString();
    const report = await releaseRun(
      changingAfterPlan(
        apiFor(emulator),
        () => memory.putSnooze({ resourceId: "unit-b", until, by: "alice", reason: "demo" }),
        undefined,
        2,
      ),
      store,
    );
    expect(outcomes(report.decisions)["unit-b"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("snoozed until"),
    });
    expect(calls("ReleaseComputeUnit")).toHaveLength(2);
  });

  it("refuses a task that finished between plan and action", async () => {
    emulator = await emulatorWith({
      batchTasks: [
        task("task-a", { createTime: "2026-11-21T00:00:00Z", startTime: "2026-11-21T00:00:00Z" }),
        task("task-b", { createTime: "2026-11-21T00:00:00Z", startTime: "2026-11-21T00:00:00Z" }),
      ],
    });
    const api = changingAfterPlan(apiFor(emulator), () => {
      emulator!.state.findTask("task-a").runStatus = "Done";
    });
    const jobReport = await stopRun(api);
    const byId = outcomes(jobReport.decisions);
    expect(byId["task-a"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("no longer shows it"),
    });
    expect(byId["task-b"]).toMatchObject({ status: "done", observed: "runStatus Stopping" });
    expect(calls("StopBatchInferenceTask").map((e) => (e.body as { taskId: string }).taskId)).toEqual([
      "task-b",
    ]);
    expect(calls("DescribeBatchInferenceTask")).toHaveLength(0);
  });
});

describe("the confirmation from the listing right after a batch", () => {
  it("reports a release the platform accepted but did not apply as unconfirmed, not done", async () => {
    emulator = await emulatorWith({ computeUnits: units });
    const api = changingAfterPlan(
      apiFor(emulator),
      () => {},
      (id) => {
        // Success with no effect: the unit is Running again before anyone looks.
        if (id === "unit-b") emulator!.state.findUnit("unit-b").status = "Running";
      },
    );
    const report = await releaseRun(api);
    const byId = outcomes(report.decisions);
    expect(byId["unit-a"]!.status).toBe("done");
    expect(byId["unit-b"]).toMatchObject({
      status: "failed",
      code: "NotConfirmed",
      message: "the platform accepted the release but then showed status Running",
    });
    expect(report.totals).toMatchObject({ done: 2, failed: 1 });
  });

  it("reports a released unit missing from the listing after the batch as unconfirmed", async () => {
    emulator = await emulatorWith({ computeUnits: units });
    const api = changingAfterPlan(
      apiFor(emulator),
      () => {},
      (id) => {
        const units = emulator!.state.units;
        if (id === "unit-c") units.splice(units.indexOf(emulator!.state.findUnit("unit-c")), 1);
      },
    );
    const report = await releaseRun(api);
    expect(outcomes(report.decisions)["unit-c"]).toMatchObject({
      status: "failed",
      code: "NotConfirmed",
      message: "the platform accepted the release but then showed no item for the unit in the listing",
    });
  });

  it("reports a stop the platform accepted but did not apply as unconfirmed", async () => {
    emulator = await emulatorWith({
      batchTasks: [task("task-a", { createTime: "2026-11-21T00:00:00Z", startTime: "2026-11-21T00:00:00Z" })],
    });
    const api = changingAfterPlan(
      apiFor(emulator),
      () => {},
      () => {
        emulator!.state.findTask("task-a").runStatus = "Running";
      },
    );
    const jobReport = await stopRun(api);
    expect(outcomes(jobReport.decisions)["task-a"]).toMatchObject({
      status: "failed",
      code: "NotConfirmed",
      message: "the platform accepted the stop but then showed runStatus Running",
    });
  });
});
