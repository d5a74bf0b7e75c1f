import { describe, expect, it } from "vitest";
import type { GuardPolicy } from "../../lib/engine/guards";
import { runJobs } from "../../lib/engine/runner";
import { releaseUnitsJob } from "../../lib/jobs";
import type { ComputeUnit } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";
import { FakeUnitApi, expiredUnit as unit } from "../support/fake-api";
import { slowFirstGet } from "../support/slow-store";

const NOW = new Date("2026-11-23T06:00:00Z");
const H = 3_600_000;
const guards = (over: Partial<GuardPolicy> = {}): GuardPolicy => ({
  maxActionsPerRun: 10,
  maxFleetFraction: 1,
  allowEmptyListing: false,
  allowInvalidItems: false,
  ...over,
});

function setup(
  units: ComputeUnit[],
  over: { guards?: Partial<GuardPolicy>; dryRun?: boolean; noticeForMs?: number } = {},
) {
  const api = new FakeUnitApi(units);
  const store = new MemoryStateStore();
  const job = releaseUnitsJob({
    policy: { minAgeMs: H, idleForMs: 2 * H, timeZone: "Asia/Shanghai", noticeForMs: over.noticeForMs },
    protectedBy: (u) => (u.creator === "protected" ? "creator rule" : undefined),
    confirm: { attempts: 1, delayMs: 0 },
  });
  // The test's clock reads the run's `now`: these runs happen at that moment, not as a what-if.
  const run = (extra: Partial<Parameters<typeof runJobs>[0]> = {}) => {
    const now = extra.now ?? NOW;
    return runJobs({
      jobs: [job],
      api: api.asApi(),
      store,
      memory: new JobMemory(store),
      guards: guards(over.guards),
      now,
      clock: () => now,
      dryRun: over.dryRun ?? false,
      target: "fake",
      ...extra,
    });
  };
  return { api, store, run };
}

describe("runJobs with release-units", () => {
  it("releases an expired unit and reports what the platform then shows", async () => {
    const { api, run, store } = setup([unit("u1")]);
    const report = await run();
    expect(api.releases).toEqual(["u1"]);
    expect(report.jobs[0]!.decisions[0]).toMatchObject({
      verdict: "act",
      rule: "expired",
      outcome: { status: "done", observed: "status Releasing", requestId: "req-u1" },
    });
    expect(report.jobs[0]!.totals).toMatchObject({ planned: 1, done: 1, computeUnitsReleased: 2 });
    expect(await store.listAudit()).toEqual([
      expect.objectContaining({ resourceId: "u1", outcome: "done", requestId: "req-u1" }),
    ]);
  });

  it("makes no mutating call in a dry run, and reports the plan", async () => {
    const { api, run } = setup([unit("u1"), unit("u2")], { dryRun: true });
    const report = await run();
    expect(api.mutatingCalls).toBe(0);
    expect(report.dryRun).toBe(true);
    expect(report.jobs[0]!.decisions.map((d) => d.outcome?.status)).toEqual(["planned", "planned"]);
  });

  it("stops the whole job before any action when the plan exceeds maxActionsPerRun", async () => {
    const { api, run } = setup([unit("u1"), unit("u2"), unit("u3")], { guards: { maxActionsPerRun: 2 } });
    const report = await run();
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]).toMatchObject({ status: "stopped", stoppedBy: { guard: "max-actions" } });
    expect(report.jobs[0]!.stoppedBy!.message).toContain("3 actions, more than guards.maxActionsPerRun (2)");
  });

  it("stops the whole job when the plan acts on too large a share of the fleet", async () => {
    const { api, run } = setup([unit("u1"), unit("u2"), unit("busy", { usedComputeUnits: 1 })], {
      guards: { maxFleetFraction: 0.5 },
    });
    const report = await run();
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]!.stoppedBy).toMatchObject({ guard: "max-fleet-fraction" });
  });

  it("stops before any action when an item of the listing failed validation", async () => {
    const { api, run } = setup([unit("u1")]);
    api.invalid = [{ index: 1, id: "u9", problem: "paymentTiming: Invalid option" }];
    const report = await run();
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]).toMatchObject({ status: "stopped", stoppedBy: { guard: "invalid-listing" } });
    expect(report.jobs[0]!.stoppedBy!.message).toContain("u9: paymentTiming");
  });

  it("acts on the valid items only when the user allows invalid items", async () => {
    const { api, run } = setup([unit("u1")], { guards: { allowInvalidItems: true } });
    api.invalid = [{ index: 1, id: "u9", problem: "paymentTiming: Invalid option" }];
    const report = await run();
    expect(api.releases).toEqual(["u1"]);
    expect(report.jobs[0]!.warnings[0]).toContain("acting on the valid items only");
  });

  it("stops when the listing is empty although the last run saw units", async () => {
    const { api, run } = setup([unit("busy", { usedComputeUnits: 2 })]);
    await run();
    api.units.clear();
    const report = await run();
    expect(report.jobs[0]).toMatchObject({ status: "stopped", stoppedBy: { guard: "empty-listing" } });
  });

  it("fails the job, acting on nothing, when the listing fails; the report keeps the requestId", async () => {
    const { api, run } = setup([unit("u1")]);
    api.failListing = true;
    const report = await run();
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]).toMatchObject({
      status: "failed",
      error: { code: "InternalError", requestId: "req-list" },
    });
  });

  it("goes on with the other actions when one fails", async () => {
    const { api, run } = setup([unit("u1"), unit("u2"), unit("u3")]);
    api.failRelease.add("u2");
    const report = await run();
    expect(api.releases.sort()).toEqual(["u1", "u2", "u3"]);
    const byId = Object.fromEntries(report.jobs[0]!.decisions.map((d) => [d.resourceId, d.outcome]));
    expect(byId.u1!.status).toBe("done");
    expect(byId.u2).toMatchObject({ status: "failed", code: "OperationNotAllowed", requestId: "req-u2" });
    expect(byId.u3!.status).toBe("done");
    expect(report.jobs[0]!.totals).toMatchObject({ done: 2, failed: 1 });
  });

  it("skips a release when the last look finds the unit busy", async () => {
    const { api, run, store } = setup([unit("u1")]);
    api.busyAtLastLook.add("u1");
    // The plan's listing is 60 ms old when the run comes to act, fresh for 40: the runner lists
    // again for its last look.
    const report = await run({ memory: new JobMemory(slowFirstGet(store, 60)), listingFreshMs: 40 });
    expect(api.listings).toBe(2);
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]!.decisions[0]!.outcome).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("the listing just before acting shows it no longer qualifies: busy"),
    });
  });

  it("starts no new action once the deadline is near, and reports the rest as deferred", async () => {
    const { api, run } = setup([unit("u1"), unit("u2")]);
    const report = await run({ remainingMs: () => 5_000, deadlineReserveMs: 20_000 });
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]!.decisions.map((d) => d.outcome?.status)).toEqual(["deferred", "deferred"]);
  });

  it("acts only on the selected resources with `only`", async () => {
    const { api, run } = setup([unit("u1"), unit("u2")]);
    const report = await run({ only: ["u2"] });
    expect(api.releases).toEqual(["u2"]);
    expect(report.jobs[0]!.decisions[0]).toMatchObject({ verdict: "keep", rule: "not-selected" });
  });

  it("exits with 'another run holds the lock' while a lease is held", async () => {
    const { api, run, store } = setup([unit("u1")]);
    await store.acquireLock("job:release-units", "other-run", 60_000, NOW);
    const report = await run();
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]!.status).toBe("locked");
    expect(report.jobs[0]!.error!.message).toContain("another run holds the lock");
  });

  it("remembers idle units in a dry run but records no notice", async () => {
    const { run, store } = setup([unit("idle", { releaseTime: undefined })], {
      dryRun: true,
      noticeForMs: H,
    });
    await run();
    const marks = await new JobMemory(store).getMarks<Record<string, string>>("release-units");
    expect(marks.get("idle")).toEqual({ idleSince: NOW.toISOString() });
  });

  it("writes nothing at all in plan mode", async () => {
    const { api, run, store } = setup([unit("u1"), unit("idle", { releaseTime: undefined })]);
    await run({ readOnly: true });
    expect(api.mutatingCalls).toBe(0);
    expect(await store.list("marks:release-units")).toEqual([]);
    expect(await store.listAudit()).toEqual([]);
    expect(await new JobMemory(store).getRunMemo("release-units")).toBeUndefined();
  });

  it("announces first and releases on a later run when a notice period is set", async () => {
    const { api, run } = setup([unit("u1")], { noticeForMs: H });
    const first = await run();
    expect(first.jobs[0]!.decisions[0]).toMatchObject({ verdict: "notice", outcome: { status: "noticed" } });
    expect(api.mutatingCalls).toBe(0);
    const second = await run({ now: new Date(NOW.getTime() + 2 * H) });
    expect(second.jobs[0]!.decisions[0]).toMatchObject({ verdict: "act", outcome: { status: "done" } });
    expect(api.releases).toEqual(["u1"]);
  });
});
