import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planScaling, planTaskStops, planTpmWindows, planUnitReleases, taskStartTime } from "../../lib/jobs";
import type { ScaleItem } from "../../lib/jobs/scale-services/plan";
import type { PendingPurchase, TpmPurchase, TpmWindowItem } from "../../lib/jobs/tpm-windows/plan";
import { type BatchTask, parsePlatformTime, TASK_RUN_STATUSES, TPM_STATUSES } from "../../lib/qianfan";
import { EMPTY_CALENDAR, isActive, parseSchedule } from "../../lib/schedule";
import { placeholderTime } from "../jobs/placeholder-times";
import { computeUnitArb } from "../jobs/unit-arbitrary";
import { FUZZ_SEED, PLANNER_RUNS } from "./runs";

// Seeded and reproducible: QFHK_PLANNER_RUNS random fleets and histories per planner (100,000 in
// the soak), QFHK_FUZZ_SEED picks them.
const runs = { numRuns: PLANNER_RUNS, seed: FUZZ_SEED };
const NOW = Date.parse("2026-11-23T06:00:00Z");
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const realTime = fc.integer({ min: -60 * 24 * H, max: 3 * 24 * H }).map((d) => iso(NOW + d));
/** A platform time: mostly real, sometimes one of the platform's ways of saying "no time". */
const time = fc.oneof({ weight: 6, arbitrary: realTime }, { weight: 1, arbitrary: placeholderTime });
const id = (prefix: string) => fc.stringMatching(new RegExp(`^${prefix}-[a-z0-9]{1,4}$`));
const msBefore = (at: string | undefined) =>
  at ? NOW - (parsePlatformTime(at)?.getTime() ?? Number.NaN) : Number.NaN;
const SCHEDULES = [
  "Mon-Fri 09:00-18:00",
  "Sat-Sun 10:00-12:00",
  "Mon-Fri 20:00-08:00",
  "always",
  "never",
].map(parseSchedule);

describe("release-units planner over random fleets and histories", () => {
  const unit = computeUnitArb(time);
  const scenario = fc.record({
    units: fc.uniqueArray(unit, { selector: (u) => u.instanceId, maxLength: 12 }),
    idle: fc.dictionary(id("unit"), time),
    snoozed: fc.dictionary(id("unit"), time),
    protectedCreator: fc.constantFrom("alice", "bob", "nobody"),
    minAgeMs: fc.integer({ min: 0, max: 48 * H }),
    idleForMs: fc.integer({ min: 0, max: 48 * H }),
    maxAgeMs: fc.option(fc.integer({ min: H, max: 60 * 24 * H }), { nil: undefined }),
  });

  it("never releases a prepaid, busy, protected, snoozed or young unit", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = planUnitReleases(
          s.units,
          {
            policy: {
              minAgeMs: s.minAgeMs,
              idleForMs: s.idleForMs,
              maxAgeMs: s.maxAgeMs,
              timeZone: "Asia/Shanghai",
            },
            marks: new Map(Object.entries(s.idle).map(([k, v]) => [k, { idleSince: v }])),
            snoozedUntil: new Map(Object.entries(s.snoozed)),
            protectedBy: (u) => (u.creator === s.protectedCreator ? `creator ${u.creator}` : undefined),
          },
          new Date(NOW),
        );
        const byId = new Map(s.units.map((u) => [u.instanceId, u]));
        for (const d of plan.decisions.filter((x) => x.verdict === "act")) {
          const u = byId.get(d.resourceId)!;
          expect(u.paymentTiming).toBe("Postpaid");
          expect(u.status).toBe("Running");
          expect(u.usedComputeUnits).toBe(0);
          expect(u.creator).not.toBe(s.protectedCreator);
          const snooze = s.snoozed[u.instanceId];
          if (snooze) expect(Date.parse(snooze) > NOW).toBe(false);
          expect(msBefore(u.startTime)).toBeGreaterThanOrEqual(s.minAgeMs);
        }
      }),
      runs,
    );
  });
});

describe("scale-services planner over random fleets and histories", () => {
  const item = fc.record({
    serviceId: id("svc"),
    instanceId: fc.constantFrom("unit-a", "unit-b"),
    schedule: fc.nat(SCHEDULES.length - 1),
    scheduleIsUptime: fc.boolean(),
    downReplicas: fc.integer({ min: 0, max: 2 }),
    upReplicas: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    currentReplicas: fc.integer({ min: 0, max: 5 }),
    changedAt: fc.option(time, { nil: undefined }),
  });
  const scenario = fc.record({
    items: fc.uniqueArray(item, { selector: (i) => `${i.serviceId}/${i.instanceId}`, maxLength: 10 }),
    remembered: fc.dictionary(id("svc"), fc.integer({ min: 1, max: 5 })),
    lastScaled: fc.dictionary(id("svc"), time),
    snoozed: fc.dictionary(id("svc"), time),
    forced: fc.dictionary(id("svc"), time),
    graceMs: fc.integer({ min: 0, max: 2 * H }),
    at: fc.integer({ min: 0, max: 14 * 24 * H }),
  });

  it("scales down only outside uptime, from above the target, outside grace; restores only to the remembered size", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const now = new Date(NOW + s.at);
        const items: ScaleItem[] = s.items.map((x, index) => ({
          key: `${x.serviceId}/${x.instanceId}`,
          serviceId: x.serviceId,
          serviceName: x.serviceId,
          instanceId: x.instanceId,
          binding: {
            index,
            schedule: SCHEDULES[x.schedule]!,
            scheduleIsUptime: x.scheduleIsUptime,
            downReplicas: x.downReplicas,
            upReplicas: x.upReplicas,
          },
          currentReplicas: x.currentReplicas,
          changedAt: x.changedAt,
        }));
        const restoreTargets = new Map(
          items
            .filter((i) => s.remembered[i.serviceId] !== undefined)
            .map((i) => [
              i.key,
              {
                serviceId: i.serviceId,
                instanceId: i.instanceId,
                replicas: s.remembered[i.serviceId]!,
                rememberedAt: iso(NOW),
              },
            ]),
        );
        const decisions = planScaling(
          items,
          {
            policy: { graceMs: s.graceMs, timeZone: "Asia/Shanghai", calendar: EMPTY_CALENDAR },
            restoreTargets,
            marks: new Map(Object.entries(s.lastScaled).map(([k, v]) => [k, { lastScaledAt: v }])),
            snoozedUntil: new Map(Object.entries(s.snoozed)),
            forcedUpUntil: new Map(Object.entries(s.forced)),
          },
          now,
        );
        const byKey = new Map(items.map((i) => [i.key, i]));
        for (const d of decisions) {
          const action = d.action;
          if (d.verdict !== "act" || !action) continue;
          const i = byKey.get(d.resourceId)!;
          const snooze = s.snoozed[i.serviceId];
          expect(snooze !== undefined && Date.parse(snooze) > now.getTime()).toBe(false);
          const on = isActive(i.binding.schedule, now, {
            defaultZone: "Asia/Shanghai",
            calendar: EMPTY_CALENDAR,
          });
          const forced =
            s.forced[i.serviceId] !== undefined && Date.parse(s.forced[i.serviceId]!) > now.getTime();
          const wantUp = forced || (i.binding.scheduleIsUptime ? on : !on);
          expect(action.from).toBe(i.currentReplicas);
          const changed = i.changedAt ? parsePlatformTime(i.changedAt)?.getTime() : undefined;
          const ours = s.lastScaled[i.serviceId]
            ? parsePlatformTime(s.lastScaled[i.serviceId]!)?.getTime()
            : undefined;
          if (changed !== undefined && !(ours !== undefined && Math.abs(changed - ours) < 120_000)) {
            const age = now.getTime() - changed;
            expect(age < 0 || age >= s.graceMs, "acted within the grace period").toBe(true);
          }
          if (action.direction === "down") {
            expect(wantUp).toBe(false);
            // The size remembered is the one scaled down from, never a 2 → 2 that would overwrite it.
            expect(action.from).toBeGreaterThan(action.to);
            expect(action.to).toBe(i.binding.downReplicas);
          } else {
            expect(wantUp).toBe(true);
            expect(action.to).toBe(restoreTargets.get(i.key)?.replicas ?? i.binding.upReplicas);
            expect(action.to).toBeGreaterThan(action.from);
          }
        }
      }),
      runs,
    );
  });
});

describe("stop-batch-tasks planner over random fleets and histories", () => {
  const taskArb = fc.record({
    taskId: id("task"),
    name: fc.constantFrom("nightly", "eval-sweep", "training-weekly"),
    runStatus: fc.constantFrom(...TASK_RUN_STATUSES),
    createTime: time,
    startTime: fc.option(time, { nil: undefined }),
  }) as fc.Arbitrary<BatchTask>;
  const scenario = fc.record({
    tasks: fc.uniqueArray(taskArb, { selector: (t) => t.taskId, maxLength: 12 }),
    snoozed: fc.dictionary(id("task"), time),
    maxRuntimeMs: fc.integer({ min: H, max: 48 * H }),
    maxQueuedMs: fc.option(fc.integer({ min: H, max: 24 * H }), { nil: undefined }),
  });

  it("stops only a running or queued, unprotected, unsnoozed task past its limit", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = planTaskStops(
          s.tasks,
          {
            policy: {
              maxRuntimeMs: s.maxRuntimeMs,
              maxQueuedMs: s.maxQueuedMs,
              limits: [],
              timeZone: "Asia/Shanghai",
            },
            marks: new Map(),
            snoozedUntil: new Map(Object.entries(s.snoozed)),
            protectedBy: (t) => (t.name.startsWith("training-") ? "name training-*" : undefined),
          },
          new Date(NOW),
        );
        const byId = new Map(s.tasks.map((t) => [t.taskId, t]));
        for (const d of plan.decisions.filter((x) => x.verdict === "act")) {
          const t = byId.get(d.resourceId)!;
          expect(["Running", "Queuing"]).toContain(t.runStatus);
          expect(t.name.startsWith("training-")).toBe(false);
          const snooze = s.snoozed[t.taskId];
          if (snooze) expect(Date.parse(snooze) > NOW).toBe(false);
          const started = taskStartTime(t);
          expect(started).toBeDefined();
          const limit = t.runStatus === "Queuing" ? s.maxQueuedMs : s.maxRuntimeMs;
          expect(limit).toBeDefined();
          expect(
            NOW -
              (t.runStatus === "Queuing"
                ? parsePlatformTime(t.createTime)!.getTime()
                : started!.at.getTime()),
          ).toBeGreaterThan(limit! - 1);
        }
      }),
      runs,
    );
  });
});

describe("tpm-windows planner over random fleets and histories", () => {
  const WINDOWS = [
    { name: "peak", model: "ernie-speed-8k", count: 2, schedule: SCHEDULES[0]! },
    { name: "weekend", model: "ernie-speed-128k", count: 1, schedule: SCHEDULES[1]! },
    { name: "night", model: "ernie-4.5-turbo-128k", count: 3, schedule: SCHEDULES[2]! },
  ];
  const instance = fc.record({
    instanceId: id("tpm"),
    paymentTiming: fc.constant("Postpaid" as const),
    status: fc.constantFrom(...TPM_STATUSES),
    startTime: fc.option(time, { nil: undefined }),
  });
  const scenario = fc.record({
    listed: fc.array(fc.uniqueArray(instance, { selector: (i) => i.instanceId, maxLength: 3 }), {
      minLength: 3,
      maxLength: 3,
    }),
    // What the job itself remembered: always real times.
    ours: fc.array(fc.record({ window: fc.nat(2), pick: fc.nat(3), at: realTime }), { maxLength: 4 }),
    pending: fc.array(fc.record({ window: fc.nat(2), at: realTime }), { maxLength: 2 }),
    budget: fc.integer({ min: 0, max: 6 }),
    at: fc.integer({ min: 0, max: 14 * 24 * H }),
  });

  it("never buys twice for a window, over the budget, outside its window, or while a purchase settles", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const now = new Date(NOW + s.at);
        const items: TpmWindowItem[] = WINDOWS.map((window, i) => ({ window, instances: s.listed[i]! }));
        const purchases = new Map<string, TpmPurchase>();
        for (const o of s.ours) {
          const w = WINDOWS[o.window]!;
          const listed = s.listed[o.window]![o.pick];
          const instanceId = listed?.instanceId ?? `tpm-gone-${purchases.size}`;
          purchases.set(instanceId, {
            instanceId,
            window: w.name,
            model: w.model,
            count: w.count,
            purchasedAt: o.at,
            releaseTime: iso(NOW + 30 * 24 * H),
          });
        }
        const pending = new Map<string, PendingPurchase>(
          s.pending.map((p) => {
            const w = WINDOWS[p.window]!;
            return [w.name, { window: w.name, model: w.model, count: w.count, attemptedAt: p.at }];
          }),
        );
        const plan = planTpmWindows(
          items,
          {
            timeZone: "Asia/Shanghai",
            calendar: EMPTY_CALENDAR,
            maxLivePurchaseCount: s.budget,
            purchaseSettleMs: 15 * 60_000,
            purchases,
            pending,
          },
          now,
        );
        const buys = plan.decisions.flatMap((d) =>
          d.verdict === "act" && d.action?.type === "PurchaseTPMResource" ? [d.action] : [],
        );
        expect(new Set(buys.map((b) => b.window)).size).toBe(buys.length);
        expect(buys.reduce((n, b) => n + b.count, 0)).toBeLessThanOrEqual(s.budget);
        for (const buy of buys) {
          const w = WINDOWS.find((x) => x.name === buy.window)!;
          expect(isActive(w.schedule, now, { defaultZone: "Asia/Shanghai", calendar: EMPTY_CALENDAR })).toBe(
            true,
          );
          const p = pending.get(w.name);
          if (p)
            expect(
              now.getTime() - (parsePlatformTime(p.attemptedAt)?.getTime() ?? now.getTime()),
            ).toBeGreaterThanOrEqual(15 * 60_000);
        }
        for (const d of plan.decisions) {
          if (d.verdict === "act" && d.action?.type === "ReleaseTPMResource")
            expect(purchases.has(d.action.instanceId)).toBe(true);
        }
      }),
      runs,
    );
  });
});
