import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EmulatorClock, EmulatorError, parseFleet } from "../../lib/emulator";
import { handleAction } from "../../lib/emulator/handlers";
import { EmulatorState } from "../../lib/emulator/state";
import { T0, task, unit } from "./helpers";

const UNITS = ["u-0", "u-1", "u-2", "u-3", "u-4"];
const SERVICES = ["s-0", "s-1", "s-2"];
const TASKS = ["t-0", "t-1", "t-2", "t-3"];

/** A small fleet with a unit of every timed kind: auto-release due soon, prepaid expiring, Creating. */
function freshState(): EmulatorState {
  const fleet = parseFleet({
    computeUnits: [
      unit("u-0", { totalComputeUnits: 8, usedComputeUnits: 2 }),
      unit("u-1", { totalComputeUnits: 8, releaseTime: "2026-11-23T02:00:05Z" }),
      unit("u-2", { paymentTiming: "Prepaid", expiredTime: "2026-11-23T02:00:07Z" }),
      unit("u-3", { status: "Creating" }),
      unit("u-4", { totalComputeUnits: 4 }),
    ],
    services: [
      {
        serviceId: "s-0",
        name: "s-0",
        createTime: "2026-11-20T00:00:00Z",
        deployments: [{ instanceId: "u-0", replicas: 2 }],
      },
      { serviceId: "s-1", name: "s-1", createTime: "2026-11-20T00:00:00Z" },
      { serviceId: "s-2", name: "s-2", createTime: "2026-11-20T00:00:00Z" },
    ],
    batchTasks: [
      task("t-0"),
      task("t-1", { runStatus: "Queuing", queueSeconds: 4 }),
      task("t-2", { durationSeconds: 6, startTime: "2026-11-23T02:00:00Z" }),
      task("t-3", { runStatus: "Queuing" }),
    ],
  });
  return new EmulatorState(fleet, new EmulatorClock(T0, { frozen: true }), 3000);
}

type Op =
  | { kind: "scale"; service: string; unit: string; replicas: number }
  | { kind: "release"; unit: string }
  | { kind: "autoRelease"; unit: string; inSeconds: number }
  | { kind: "stop"; task: string }
  | { kind: "purchase" }
  | { kind: "advance"; seconds: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("scale" as const),
    service: fc.constantFrom(...SERVICES),
    unit: fc.constantFrom(...UNITS),
    replicas: fc.integer({ min: 0, max: 3 }),
  }),
  fc.record({ kind: fc.constant("release" as const), unit: fc.constantFrom(...UNITS) }),
  fc.record({
    kind: fc.constant("autoRelease" as const),
    unit: fc.constantFrom(...UNITS),
    inSeconds: fc.integer({ min: 1, max: 10 }),
  }),
  fc.record({ kind: fc.constant("stop" as const), task: fc.constantFrom(...TASKS) }),
  fc.record({ kind: fc.constant("purchase" as const) }),
  fc.record({ kind: fc.constant("advance" as const), seconds: fc.integer({ min: 0, max: 5 }) }),
);

function apply(state: EmulatorState, o: Op): void {
  const at = new Date(state.clock.now().getTime() + ("inSeconds" in o ? o.inSeconds * 1000 : 0));
  const requests: Record<Exclude<Op["kind"], "advance">, () => unknown> = {
    scale: () =>
      handleAction(state, "ScaleService", {
        serviceId: (o as { service: string }).service,
        instanceId: (o as { unit: string }).unit,
        deploymentReplicasCount: (o as { replicas: number }).replicas,
      }),
    release: () => handleAction(state, "ReleaseComputeUnit", { instanceId: (o as { unit: string }).unit }),
    autoRelease: () =>
      handleAction(state, "AutoReleaseComputeUnit", {
        instanceId: (o as { unit: string }).unit,
        releaseTime: at.toISOString(),
      }),
    stop: () => handleAction(state, "StopBatchInferenceTask", { taskId: (o as { task: string }).task }),
    purchase: () =>
      handleAction(state, "PurchaseComputeUnit", {
        computeUnitCount: 4,
        billing: { paymentTiming: "Postpaid" },
        computeUnitConfig: { region: "bj", type: "gpu-1" },
      }),
  };
  if (o.kind === "advance") {
    state.clock.advance(o.seconds * 1000);
    return;
  }
  try {
    requests[o.kind]();
  } catch (error) {
    // A refusal (not Running, not enough room) is the platform's answer, not a broken index.
    if (!(error instanceof EmulatorError)) throw error;
  }
}

/** What the indexes must agree with: the same questions answered by scanning the arrays. */
function expectIndexesConsistent(state: EmulatorState): void {
  for (const [i, u] of state.units.entries()) {
    expect(state.findUnit(u.instanceId)).toBe(u);
    expect(state.positionOf("unit", u.instanceId)).toBe(i);
    const scanned = state.services.filter((s) => s.deployments.some((d) => d.instanceId === u.instanceId));
    expect(state.servicesOn(u.instanceId)).toEqual(scanned);
  }
  for (const [i, s] of state.services.entries()) {
    expect(state.findService(s.serviceId)).toBe(s);
    expect(state.positionOf("service", s.serviceId)).toBe(i);
  }
  for (const [i, k] of state.tasks.entries()) {
    expect(state.findTask(k.taskId)).toBe(k);
    expect(state.positionOf("task", k.taskId)).toBe(i);
  }
}

/** After a settle nothing is left whose clock-driven change was due. */
function expectNothingOverdue(state: EmulatorState): void {
  const now = state.clock.now().getTime();
  const transitioned = (since: Date) => since.getTime() + state.transitionMs <= now;
  for (const u of state.units) {
    const overdue =
      ((u.status === "Creating" || u.status === "Releasing") && transitioned(u.since)) ||
      (u.status === "Running" &&
        u.paymentTiming === "Postpaid" &&
        !u.autoReleaseSkipped &&
        u.releaseTime !== undefined &&
        u.releaseTime.getTime() <= now) ||
      (u.status === "Running" &&
        u.paymentTiming === "Prepaid" &&
        u.expiredTime !== undefined &&
        u.expiredTime.getTime() <= now);
    expect(overdue, `${u.instanceId} ${u.status} is overdue`).toBe(false);
  }
  for (const k of state.tasks) {
    const overdue =
      (k.runStatus === "Stopping" && transitioned(k.since)) ||
      (k.runStatus === "Queuing" &&
        k.queueSeconds !== undefined &&
        k.since.getTime() + k.queueSeconds * 1000 <= now) ||
      (k.runStatus === "Running" &&
        k.durationSeconds !== undefined &&
        k.startTime !== undefined &&
        k.startTime.getTime() + k.durationSeconds * 1000 <= now);
    expect(overdue, `${k.taskId} ${k.runStatus} is overdue`).toBe(false);
  }
}

describe("the emulator's indexes and incremental settle", () => {
  it("agree with a scan of the records after any sequence of actions and clock moves", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const state = freshState();
        for (const o of ops) {
          apply(state, o);
          state.settle();
          expectIndexesConsistent(state);
          expectNothingOverdue(state);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("settles a unit whose auto-release time is set to an earlier moment than it had", () => {
    const state = freshState();
    handleAction(state, "AutoReleaseComputeUnit", {
      instanceId: "u-4",
      releaseTime: new Date(T0.getTime() + 60_000).toISOString(),
    });
    handleAction(state, "AutoReleaseComputeUnit", {
      instanceId: "u-4",
      releaseTime: new Date(T0.getTime() + 2_000).toISOString(),
    });
    state.clock.advance(2_000);
    state.settle();
    expect(state.findUnit("u-4").status).toBe("Releasing");
    state.clock.advance(3_000);
    state.settle();
    expect(state.findUnit("u-4").status).toBe("Released");
  });

  it("forgets a released unit's services: the unit lists none and its usage is zero", () => {
    const state = freshState();
    handleAction(state, "ReleaseComputeUnit", { instanceId: "u-0" });
    expect(state.servicesOn("u-0")).toEqual([]);
    expect(state.usedComputeUnits(state.findUnit("u-0"))).toBe(0);
    expect(state.findService("s-0").deployments).toEqual([]);
  });
});
