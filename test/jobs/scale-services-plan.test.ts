import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planScaling, roomFor } from "../../lib/jobs";
import type { ScaleAction, ScaleItem, ScaleServicesContext } from "../../lib/jobs/scale-services/plan";
import { EMPTY_CALENDAR, parseSchedule } from "../../lib/schedule";
import type { RestoreTarget } from "../../lib/state";

const OFFICE = parseSchedule("Mon-Fri 08:00-20:00");
const IN_UPTIME = new Date("2026-11-23T02:00:00Z"); // Mon 10:00 Shanghai
const IN_DOWNTIME = new Date("2026-11-23T14:00:00Z"); // Mon 22:00

const item = (over: Partial<ScaleItem> = {}): ScaleItem => ({
  key: "svc-1/unit-1",
  serviceId: "svc-1",
  serviceName: "chat",
  instanceId: "unit-1",
  binding: { index: 0, schedule: OFFICE, scheduleIsUptime: true, downReplicas: 0 },
  currentReplicas: 3,
  changedAt: "2026-11-01T00:00:00Z",
  ...over,
});

function ctx(over: Partial<ScaleServicesContext> & { targets?: RestoreTarget[] } = {}): ScaleServicesContext {
  return {
    policy: { graceMs: 15 * 60_000, timeZone: "Asia/Shanghai", calendar: EMPTY_CALENDAR },
    restoreTargets: new Map((over.targets ?? []).map((t) => [`${t.serviceId}/${t.instanceId}`, t])),
    marks: new Map(),
    snoozedUntil: new Map(),
    forcedUpUntil: new Map(),
    ...over,
  };
}
const remembered = (replicas: number): RestoreTarget => ({
  serviceId: "svc-1",
  instanceId: "unit-1",
  replicas,
  rememberedAt: "2026-11-22T12:00:00Z",
});

describe("planScaling", () => {
  it("scales down to downReplicas outside uptime, remembering the size", () => {
    const [d] = planScaling([item()], ctx(), IN_DOWNTIME);
    expect(d).toMatchObject({
      verdict: "act",
      rule: "scale-down",
      action: { from: 3, to: 0, direction: "down" },
    });
    expect(d!.reason).toBe('uptime "Mon-Fri 08:00-20:00" is off: 3 → 0 replicas (remembering 3)');
  });

  it("does not 'scale down' a service already at or below the down size (2→2 keeps what was remembered)", () => {
    const [d] = planScaling(
      [item({ currentReplicas: 2, binding: { ...item().binding, downReplicas: 2 } })],
      ctx({ targets: [remembered(5)] }),
      IN_DOWNTIME,
    );
    expect(d).toMatchObject({ verdict: "keep", rule: "down" });
  });

  it("restores the remembered size in uptime", () => {
    const [d] = planScaling([item({ currentReplicas: 0 })], ctx({ targets: [remembered(3)] }), IN_UPTIME);
    expect(d).toMatchObject({ verdict: "act", rule: "scale-up", action: { from: 0, to: 3 } });
    expect(d!.reason).toContain("(the remembered size)");
  });

  it("gives a restore the configured size per replica over the measured one, and the measured one otherwise", () => {
    const measured = { ...remembered(3), computeUnitsPerReplica: 4 };
    const [byMeasure] = planScaling([item({ currentReplicas: 0 })], ctx({ targets: [measured] }), IN_UPTIME);
    expect(byMeasure!.action).toMatchObject({ to: 3, computeUnitsPerReplica: 4 });
    const configured = item({
      currentReplicas: 0,
      binding: { ...item().binding, computeUnitsPerReplica: 2 },
    });
    const [byConfig] = planScaling([configured], ctx({ targets: [measured] }), IN_UPTIME);
    expect(byConfig!.action).toMatchObject({ to: 3, computeUnitsPerReplica: 2 });
    const [unknown] = planScaling(
      [item({ currentReplicas: 0 })],
      ctx({ targets: [remembered(3)] }),
      IN_UPTIME,
    );
    expect(unknown!.action).not.toHaveProperty("computeUnitsPerReplica");
  });

  it("falls back to upReplicas when nothing was remembered", () => {
    const [d] = planScaling(
      [item({ currentReplicas: 0, binding: { ...item().binding, upReplicas: 2 } })],
      ctx(),
      IN_UPTIME,
    );
    expect(d).toMatchObject({ verdict: "act", action: { to: 2 } });
  });

  it("leaves a service alone in uptime with neither a remembered size nor upReplicas", () => {
    const [d] = planScaling([item({ currentReplicas: 0 })], ctx(), IN_UPTIME);
    expect(d).toMatchObject({ verdict: "keep", rule: "no-target" });
  });

  it("keeps a service already at its size in uptime", () => {
    const [d] = planScaling([item({ currentReplicas: 4 })], ctx({ targets: [remembered(3)] }), IN_UPTIME);
    expect(d).toMatchObject({ verdict: "keep", rule: "up" });
  });

  it("reads a downtime schedule the other way round", () => {
    const night = item({
      binding: {
        index: 0,
        schedule: parseSchedule("Mon-Fri 20:00-08:00"),
        scheduleIsUptime: false,
        downReplicas: 0,
      },
    });
    expect(planScaling([night], ctx(), IN_DOWNTIME)[0]).toMatchObject({ verdict: "act", rule: "scale-down" });
    expect(planScaling([night], ctx(), IN_UPTIME)[0]).toMatchObject({ verdict: "keep", rule: "no-target" });
  });

  it("does not scale down a service that shows no readable update or create time", () => {
    const [d] = planScaling([item({ changedAt: undefined })], ctx(), IN_DOWNTIME);
    expect(d).toMatchObject({ verdict: "keep", rule: "grace-unknown" });
    expect(d!.reason).toContain("its grace of 15m cannot be checked: not scaling down");
  });

  it("still scales up a service that shows no readable time when its uptime begins", () => {
    const [d] = planScaling(
      [item({ changedAt: undefined, currentReplicas: 0 })],
      ctx({ targets: [remembered(3)] }),
      IN_UPTIME,
    );
    expect(d).toMatchObject({ verdict: "act", rule: "scale-up" });
  });

  it("leaves a service changed within the grace period alone", () => {
    const [d] = planScaling([item({ changedAt: "2026-11-23T13:50:00Z" })], ctx(), IN_DOWNTIME);
    expect(d).toMatchObject({ verdict: "keep", rule: "grace" });
    expect(d!.reason).toBe("deployed or changed 10m ago, within the grace of 15m");
  });

  it("does not count its own last change as a deployment", () => {
    const marks = new Map([["svc-1", { lastScaledAt: "2026-11-23T13:50:05Z" }]]);
    const [d] = planScaling([item({ changedAt: "2026-11-23T13:50:00Z" })], ctx({ marks }), IN_DOWNTIME);
    expect(d).toMatchObject({ verdict: "act" });
  });

  it("honours snoozes and force-up overrides", () => {
    const snoozed = ctx({ snoozedUntil: new Map([["svc-1", "2026-11-24T00:00:00Z"]]) });
    expect(planScaling([item()], snoozed, IN_DOWNTIME)[0]).toMatchObject({
      verdict: "keep",
      rule: "snoozed",
    });
    const forced = ctx({
      forcedUpUntil: new Map([["svc-1", "2026-11-23T16:00:00Z"]]),
      targets: [remembered(3)],
    });
    expect(planScaling([item({ currentReplicas: 0 })], forced, IN_DOWNTIME)[0]).toMatchObject({
      verdict: "act",
      rule: "scale-up",
    });
    expect(
      planScaling([item({ currentReplicas: 0 })], forced, new Date("2026-11-23T16:30:00Z"))[0],
    ).toMatchObject({ verdict: "keep" });
  });

  it("orders restores by their place in the config, before any scale-down", () => {
    const a = item({
      key: "a/u",
      serviceId: "a",
      binding: { ...item().binding, index: 2, upReplicas: 1 },
      currentReplicas: 0,
    });
    const b = item({
      key: "b/u",
      serviceId: "b",
      binding: { ...item().binding, index: 0, upReplicas: 1 },
      currentReplicas: 0,
    });
    const c = item({
      key: "c/u",
      serviceId: "c",
      binding: { ...item().binding, index: 1, upReplicas: 1 },
      currentReplicas: 0,
    });
    expect(planScaling([a, b, c], ctx(), IN_UPTIME).map((d) => d.resourceId)).toEqual(["b/u", "c/u", "a/u"]);
  });
});

describe("planScaling over random states", () => {
  it("acts only toward what the schedule wants, and never scales down to more or up to less", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.integer({ min: Date.parse("2026-11-01T00:00:00Z"), max: Date.parse("2026-12-01T00:00:00Z") }),
        (current, down, up, memory, t) => {
          const now = new Date(t);
          const it = item({
            currentReplicas: current,
            binding: {
              index: 0,
              schedule: OFFICE,
              scheduleIsUptime: true,
              downReplicas: down,
              upReplicas: up,
            },
          });
          const [d] = planScaling([it], ctx({ targets: memory ? [remembered(memory)] : [] }), now);
          const a = d!.action;
          if (!a) return;
          if (a.direction === "down") {
            expect(a.to).toBe(down);
            expect(current).toBeGreaterThan(down);
          } else {
            expect(a.to).toBe(memory ?? up);
            expect(current).toBeLessThan(a.to);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("roomFor: does a restore fit on its unit", () => {
  const up = (from: number, to: number, computeUnitsPerReplica?: number): ScaleAction => ({
    type: "ScaleService",
    serviceId: "svc-1",
    instanceId: "unit-1",
    from,
    to,
    direction: "up",
    ...(computeUnitsPerReplica === undefined ? {} : { computeUnitsPerReplica }),
  });

  it.each([
    // [from, to, per replica, total, used, fits]
    [0, 2, 2, 8, 4, true],
    [0, 2, 2, 8, 5, false],
    [1, 3, 2, 8, 4, true],
    [0, 3, undefined, 4, 1, true],
    [0, 3, undefined, 4, 2, false],
    [0, 1, 1, 4, 9, false],
  ] as const)(
    "from %i to %i at %s units each on %i total, %i used: fits %s",
    (from, to, per, total, used, fits) => {
      const why = roomFor(up(from, to, per), total, used);
      expect(why === undefined).toBe(fits);
      if (!fits)
        expect(why).toMatch(/^not enough free compute units on unit-1 to restore svc-1 to \d+ replicas?: /);
    },
  );
});
