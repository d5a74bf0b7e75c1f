import { describe, expect, it } from "vitest";
import { simulatedClock } from "../../lib/engine/clock";
import type { GuardPolicy } from "../../lib/engine/guards";
import { runJobs, WhatIfError } from "../../lib/engine/runner";
import { releaseUnitsJob } from "../../lib/jobs";
import type { ActionOutcome, ComputeUnit } from "../../lib/qianfan";
import {
  type AuditRecord,
  JobMemory,
  MemoryStateStore,
  type StateChange,
  type StateStore,
} from "../../lib/state";
import { FakeUnitApi, expiredUnit as unit } from "../support/fake-api";

const NOW = new Date("2026-11-23T06:00:00Z");
const H = 3_600_000;
const guards: GuardPolicy = {
  maxActionsPerRun: 10,
  maxFleetFraction: 1,
  allowEmptyListing: false,
  allowInvalidItems: false,
};

/** A memory store whose chosen operations fail, recording the leases it was asked for. */
class FlakyStore extends MemoryStateStore {
  readonly failing = new Set<"appendAudit" | "put" | "releaseLock" | "delete">();
  readonly leases: number[] = [];

  override async appendAudit(record: AuditRecord) {
    if (this.failing.has("appendAudit")) throw new Error("ProvisionedThroughputExceededException: audit");
    return super.appendAudit(record);
  }
  override async appendAuditBatch(records: readonly AuditRecord[]) {
    if (this.failing.has("appendAudit")) throw new Error("ProvisionedThroughputExceededException: audit");
    return super.appendAuditBatch(records);
  }
  override async writeBatch(changes: readonly StateChange[]) {
    if (this.failing.has("put")) throw new Error("ProvisionedThroughputExceededException: put");
    return super.writeBatch(changes);
  }
  override async put<T>(namespace: string, key: string, value: T, options?: { expiresAt?: Date }) {
    if (this.failing.has("put")) throw new Error("ProvisionedThroughputExceededException: put");
    return super.put(namespace, key, value, options);
  }
  override async releaseLock(name: string, owner: string) {
    if (this.failing.has("releaseLock")) throw new Error("the table is unreachable");
    return super.releaseLock(name, owner);
  }
  override async acquireLock(name: string, owner: string, leaseMs: number, now: Date) {
    this.leases.push(leaseMs);
    return super.acquireLock(name, owner, leaseMs, now);
  }
}

function setup(units: ComputeUnit[], store: StateStore = new FlakyStore({ clock: () => NOW.getTime() })) {
  const api = new FakeUnitApi(units);
  const job = releaseUnitsJob({
    policy: { minAgeMs: H, idleForMs: 2 * H, timeZone: "Asia/Shanghai" },
    protectedBy: () => undefined,
    confirm: { attempts: 1, delayMs: 0 },
  });
  const run = (extra: Partial<Parameters<typeof runJobs>[0]> = {}) =>
    runJobs({
      jobs: [job],
      api: api.asApi(),
      store,
      memory: new JobMemory(store),
      guards,
      now: NOW,
      clock: () => NOW,
      dryRun: false,
      target: "fake",
      ...extra,
    });
  return { api, store, run };
}

describe("state failures end in a clear report", () => {
  it("lists every release it sent, with its outcome, when the audit writes fail; the lock is released", async () => {
    const store = new FlakyStore({ clock: () => NOW.getTime() });
    store.failing.add("appendAudit");
    const { api, run } = setup([unit("u1"), unit("u2")], store);
    const report = await run();
    expect(api.releases.sort()).toEqual(["u1", "u2"]);
    const job = report.jobs[0]!;
    expect(job.status).toBe("failed");
    expect(job.decisions.map((d) => [d.resourceId, d.outcome?.status])).toEqual([
      ["u1", "done"],
      ["u2", "done"],
    ]);
    expect(job.totals).toMatchObject({ done: 2, computeUnitsReleased: 4 });
    expect(job.error!.message).toContain("the state store failed");
    expect(job.error!.message).toContain("ProvisionedThroughputExceededException: audit");
    // One batch held both records: one failure, naming both.
    expect(job.stateErrors).toHaveLength(1);
    expect(job.stateErrors![0]).toContain("ReleaseComputeUnit u1");
    expect(job.stateErrors![0]).toContain("ReleaseComputeUnit u2");
    expect(await store.acquireLock("job:release-units", "next-run", 60_000, NOW)).toMatchObject({
      acquired: true,
    });
  });

  it("keeps the report of what was done when remembering the run fails", async () => {
    const store = new FlakyStore({ clock: () => NOW.getTime() });
    const { api, run } = setup([unit("u1"), unit("idle", { releaseTime: undefined })], store);
    store.failing.add("put");
    const report = await run();
    expect(api.releases).toEqual(["u1"]);
    const job = report.jobs[0]!;
    expect(job.status).toBe("failed");
    expect(job.decisions.find((d) => d.resourceId === "u1")!.outcome).toMatchObject({ status: "done" });
    expect(job.stateErrors!.join()).toContain("remembering this run failed");
  });

  it("says so when the lock cannot be released, and the lease lapses within the caller's time plus a minute", async () => {
    const store = new FlakyStore({ clock: () => NOW.getTime() });
    store.failing.add("releaseLock");
    const { run } = setup([unit("u1")], store);
    const report = await run({ remainingMs: () => 300_000 });
    expect(report.jobs[0]!.warnings.join()).toContain(
      "could not release the run lock (the table is unreachable)",
    );
    expect(store.leases).toEqual([360_000]);
    const next = new Date(NOW.getTime() + 361_000);
    expect(await store.acquireLock("job:release-units", "next-run", 60_000, next)).toMatchObject({
      acquired: true,
    });
  });

  it("leases the lock for 5 minutes, renewed, when the caller has no deadline", async () => {
    const store = new FlakyStore({ clock: () => NOW.getTime() });
    const { run } = setup([unit("u1")], store);
    await run();
    expect(store.leases).toEqual([300_000]);
  });
});

describe("deadlines", () => {
  it("starts no action whose slowest call cannot finish before the deadline", async () => {
    const { api, run } = setup([unit("u1"), unit("u2")]);
    const report = await run({
      remainingMs: () => 60_000,
      actionWorstCaseMs: 75_000,
      deadlineReserveMs: 5_000,
    });
    expect(api.mutatingCalls).toBe(0);
    expect(report.jobs[0]!.decisions.map((d) => d.outcome?.status)).toEqual(["deferred", "deferred"]);
    expect(report.jobs[0]!.decisions[0]!.outcome!.message).toContain("less than one action may need (80 s)");
  });

  it("starts the actions when their worst case fits", async () => {
    const { api, run } = setup([unit("u1"), unit("u2")]);
    await run({ remainingMs: () => 120_000, actionWorstCaseMs: 75_000, deadlineReserveMs: 5_000 });
    expect(api.releases.sort()).toEqual(["u1", "u2"]);
  });

  it("cuts off an action still in flight at the deadline and reports it, instead of hanging", async () => {
    const api = new (class extends FakeUnitApi {
      override releaseComputeUnit(): Promise<ActionOutcome> {
        return new Promise(() => {});
      }
    })([unit("u1")]);
    const store = new MemoryStateStore({ clock: () => NOW.getTime() });
    const started = performance.now();
    const report = await runJobs({
      jobs: [
        releaseUnitsJob({
          policy: { minAgeMs: H, idleForMs: 2 * H, timeZone: "UTC" },
          protectedBy: () => undefined,
        }),
      ],
      api: api.asApi(),
      store,
      memory: new JobMemory(store),
      guards,
      now: NOW,
      clock: () => NOW,
      dryRun: false,
      target: "fake",
      remainingMs: () => 300 - (performance.now() - started),
      finalReserveMs: 0,
      deadlineReserveMs: 0,
    });
    expect(report.jobs[0]!.decisions[0]!.outcome).toMatchObject({
      status: "failed",
      code: "DeadlineReached",
    });
    expect(report.jobs[0]!.status).toBe("ok");
    expect((await store.listAudit())[0]).toMatchObject({ resourceId: "u1", outcome: "failed" });
  });
});

describe("what-ifs and rehearsals in the runner", () => {
  it("refuses to act as of a moment more than a minute from the clock", async () => {
    const { api, run, store } = setup([unit("u1")]);
    await expect(run({ clock: () => new Date(NOW.getTime() + 2 * 60_000) })).rejects.toThrow(WhatIfError);
    expect(api.mutatingCalls).toBe(0);
    expect(await store.listAudit()).toEqual([]);
  });

  it("turns a dry run as of another moment into a read-only what-if", async () => {
    const { api, run, store } = setup([unit("u1"), unit("idle", { releaseTime: undefined })]);
    const report = await run({ dryRun: true, clock: () => new Date(NOW.getTime() + 3 * H) });
    expect(report).toMatchObject({ whatIf: true, recorded: false, dryRun: true });
    expect(report.jobs[0]!.totals.planned).toBe(1);
    expect(api.mutatingCalls).toBe(0);
    expect(await store.list("marks:release-units")).toEqual([]);
    expect(await new JobMemory(store).getRunMemo("release-units")).toBeUndefined();
  });

  it("acts and audits as of the simulated instant in a rehearsal", async () => {
    const { api, run, store } = setup([unit("u1")]);
    const report = await run({ simulated: true, clock: simulatedClock(NOW) });
    expect(report).toMatchObject({ simulated: true, recorded: true });
    expect(api.releases).toEqual(["u1"]);
    const [record] = await store.listAudit();
    expect(record).toMatchObject({ resourceId: "u1", simulated: true });
    expect(Math.abs(Date.parse(record!.at) - NOW.getTime())).toBeLessThan(60_000);
  });

  it("refuses a rehearsal whose clock does not follow its instant", async () => {
    const { run } = setup([unit("u1")]);
    await expect(run({ simulated: true, clock: () => new Date(NOW.getTime() + H) })).rejects.toThrow(
      "a simulated run's clock must follow its evaluation instant",
    );
  });
});
