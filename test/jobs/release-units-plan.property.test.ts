import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planUnitReleases, planUnitReleasesInTurns, type UnitMark } from "../../lib/jobs/release-units/plan";
import { isPlaceholderTime, parsePlatformTime } from "../../lib/qianfan";
import { placeholderTime } from "./placeholder-times";
import { computeUnitArb } from "./unit-arbitrary";

const NOW = Date.parse("2026-11-23T06:00:00Z");
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const around = fc.integer({ min: -60 * 24 * H, max: 2 * 24 * H }).map((d) => iso(NOW + d));

const unitArb = computeUnitArb(around);

const markArb: fc.Arbitrary<UnitMark> = fc.record(
  { idleSince: around, noticeGivenAt: around, noticeDueAt: around },
  { requiredKeys: [] },
);

const scenario = fc.record({
  units: fc.uniqueArray(unitArb, { selector: (u) => u.instanceId, maxLength: 25 }),
  marks: fc.dictionary(fc.stringMatching(/^unit-[a-z0-9]{1,6}$/), markArb),
  snoozed: fc.dictionary(fc.stringMatching(/^unit-[a-z0-9]{1,6}$/), around),
  protectedCreators: fc.subarray(["alice", "bob", "ml-platform"]),
  minAgeMs: fc.integer({ min: 0, max: 48 * H }),
  idleForMs: fc.integer({ min: 0, max: 48 * H }),
  maxAgeMs: fc.option(fc.integer({ min: H, max: 60 * 24 * H }), { nil: undefined }),
  noticeForMs: fc.option(fc.integer({ min: 0, max: 24 * H }), { nil: undefined }),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function contextOf(s: Scenario) {
  return {
    policy: {
      minAgeMs: s.minAgeMs,
      idleForMs: s.idleForMs,
      maxAgeMs: s.maxAgeMs,
      noticeForMs: s.noticeForMs,
      timeZone: "Asia/Shanghai",
    },
    marks: new Map(Object.entries(s.marks)),
    snoozedUntil: new Map(Object.entries(s.snoozed)),
    protectedBy: (u: { creator: string }) =>
      s.protectedCreators.includes(u.creator) ? `creator ${u.creator}` : undefined,
  };
}

function run(s: Scenario) {
  const unitsById = new Map(s.units.map((u) => [u.instanceId, u]));
  const plan = planUnitReleases(s.units, contextOf(s), new Date(NOW));
  return { plan, unitsById };
}

describe("release-units planner, over random fleets and histories", () => {
  it("acts only on postpaid, Running, unused, unprotected, unsnoozed units past minAge", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan, unitsById } = run(s);
        for (const d of plan.decisions.filter((x) => x.verdict !== "keep")) {
          const u = unitsById.get(d.resourceId)!;
          expect(u.paymentTiming).toBe("Postpaid");
          expect(u.status).toBe("Running");
          expect(u.usedComputeUnits).toBe(0);
          expect(s.protectedCreators).not.toContain(u.creator);
          const snooze = s.snoozed[u.instanceId];
          if (snooze) expect(Date.parse(snooze)).toBeLessThanOrEqual(NOW);
          expect(NOW - Date.parse(u.startTime)).toBeGreaterThanOrEqual(s.minAgeMs);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("gives every listed unit exactly one decision with a reason", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan } = run(s);
        expect(plan.decisions.map((d) => d.resourceId)).toEqual(s.units.map((u) => u.instanceId));
        for (const d of plan.decisions) expect(d.reason.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it("with a notice period, releases only units whose notice was given and is due", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        fc.pre(s.noticeForMs !== undefined);
        const { plan } = run(s);
        for (const d of plan.decisions.filter((x) => x.verdict === "act")) {
          const due = s.marks[d.resourceId]?.noticeDueAt;
          expect(due).toBeDefined();
          expect(Date.parse(due!)).toBeLessThanOrEqual(NOW);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("an idle release needs an idle mark at least idleFor old", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan } = run(s);
        for (const d of plan.decisions.filter((x) => x.verdict === "act" && x.rule === "idle")) {
          const since = s.marks[d.resourceId]?.idleSince;
          const idle = since ? NOW - Date.parse(since) : 0;
          expect(idle).toBeGreaterThanOrEqual(s.idleForMs);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("remembers marks only for listed units", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { plan, unitsById } = run(s);
        for (const id of plan.marks.keys()) expect(unitsById.has(id)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("release-units planner, with placeholder dates", () => {
  const timeOrPlaceholder = fc.oneof(around, placeholderTime);
  const placeholderScenario = scenario.chain((s) =>
    fc
      .array(
        fc.record({
          startTime: timeOrPlaceholder,
          expiredTime: fc.option(timeOrPlaceholder, { nil: undefined }),
          releaseTime: fc.option(timeOrPlaceholder, { nil: undefined }),
          eligible: fc.boolean(),
        }),
        { minLength: s.units.length, maxLength: s.units.length },
      )
      .map((extra) => ({
        ...s,
        // Half the units otherwise qualify, so the time rules are what decides them.
        units: s.units.map((u, i) => {
          const { eligible, ...times } = extra[i]!;
          const qualifying = eligible
            ? { status: "Running" as const, paymentTiming: "Postpaid" as const, usedComputeUnits: 0 }
            : {};
          return { ...u, ...times, ...qualifying };
        }),
      })),
  );
  const real = (value: string | undefined) => (value === undefined ? undefined : parsePlatformTime(value));

  it("never releases or announces a unit whose startTime is a placeholder", () => {
    fc.assert(
      fc.property(placeholderScenario, (s) => {
        const { plan, unitsById } = run(s);
        for (const d of plan.decisions.filter((x) => x.verdict !== "keep")) {
          expect(isPlaceholderTime(unitsById.get(d.resourceId)!.startTime)).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("releases as expired only on a real release or expiry time that passed", () => {
    let expired = 0;
    fc.assert(
      fc.property(placeholderScenario, (s) => {
        const { plan, unitsById } = run(s);
        for (const d of plan.decisions.filter((x) => x.verdict !== "keep" && x.rule === "expired")) {
          expired += 1;
          const u = unitsById.get(d.resourceId)!;
          const passed = [real(u.releaseTime), real(u.expiredTime)].some((t) => t && t.getTime() <= NOW);
          expect(passed).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
    expect(expired).toBeGreaterThan(0);
  });

  it("releases by maxAge only a unit with a real startTime at least maxAge old", () => {
    fc.assert(
      fc.property(placeholderScenario, (s) => {
        const { plan, unitsById } = run(s);
        for (const d of plan.decisions.filter((x) => x.verdict !== "keep" && x.rule === "max-age")) {
          const started = real(unitsById.get(d.resourceId)!.startTime);
          expect(started).toBeDefined();
          expect(NOW - started!.getTime()).toBeGreaterThanOrEqual(s.maxAgeMs!);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("never releases as expired or max-age a unit all of whose dates are placeholders", () => {
    fc.assert(
      fc.property(
        unitArb,
        placeholderTime,
        fc.option(placeholderTime, { nil: undefined }),
        fc.option(placeholderTime, { nil: undefined }),
        fc.option(fc.integer({ min: H, max: 60 * 24 * H }), { nil: undefined }),
        (u, startTime, expiredTime, releaseTime, maxAgeMs) => {
          const placeheld = { ...u, startTime, expiredTime, releaseTime, status: "Running" as const };
          const plan = planUnitReleases(
            [placeheld],
            {
              policy: { minAgeMs: 0, idleForMs: 0, maxAgeMs, timeZone: "Asia/Shanghai" },
              marks: new Map([[u.instanceId, { idleSince: iso(NOW - 30 * 24 * H) }]]),
              snoozedUntil: new Map(),
              protectedBy: () => undefined,
            },
            new Date(NOW),
          );
          expect(plan.decisions[0]!.verdict).toBe("keep");
          expect(["expired", "max-age", "idle"]).not.toContain(plan.decisions[0]!.rule);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("makes the same plan a thousand units at a time as in one go", async () => {
    // Fleets larger than a turn's thousand units: the same few units, repeated under other ids.
    const large = scenario.chain((s) =>
      fc.integer({ min: 1001, max: 2600 }).map((size) => ({
        ...s,
        units: Array.from({ length: s.units.length === 0 ? 0 : size }, (_, i) => ({
          ...s.units[i % s.units.length]!,
          instanceId: `unit-${i}`,
        })),
      })),
    );
    await fc.assert(
      fc.asyncProperty(large, async (s) => {
        const inTurns = await planUnitReleasesInTurns(s.units, contextOf(s), new Date(NOW));
        expect(inTurns).toEqual(planUnitReleases(s.units, contextOf(s), new Date(NOW)));
      }),
      { numRuns: 20 },
    );
  });
});
