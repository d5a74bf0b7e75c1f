import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planUnitReleases, type UnitMark } from "../../lib/jobs/release-units/plan";
import { type ComputeUnit, REGIONS, UNIT_STATUSES } from "../../lib/qianfan";

const NOW = Date.parse("2026-11-23T06:00:00Z");
const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const around = fc.integer({ min: -60 * 24 * H, max: 2 * 24 * H }).map((d) => iso(NOW + d));

const unitArb = fc.record({
  instanceId: fc.stringMatching(/^unit-[a-z0-9]{1,6}$/),
  region: fc.constantFrom(...REGIONS),
  status: fc.constantFrom(...UNIT_STATUSES),
  type: fc.constantFrom("gpu-1", "gpu-2", "CPU"),
  totalComputeUnits: fc.integer({ min: 1, max: 16 }),
  usedComputeUnits: fc.integer({ min: 0, max: 16 }),
  paymentTiming: fc.constantFrom("Prepaid" as const, "Postpaid" as const),
  startTime: around,
  expiredTime: fc.option(around, { nil: undefined }),
  releaseTime: fc.option(around, { nil: undefined }),
  creator: fc.constantFrom("alice", "bob", "ml-platform"),
}) as fc.Arbitrary<ComputeUnit>;

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

function run(s: Scenario) {
  const unitsById = new Map(s.units.map((u) => [u.instanceId, u]));
  const plan = planUnitReleases(
    s.units,
    {
      policy: {
        minAgeMs: s.minAgeMs,
        idleForMs: s.idleForMs,
        maxAgeMs: s.maxAgeMs,
        noticeForMs: s.noticeForMs,
        timeZone: "Asia/Shanghai",
      },
      marks: new Map(Object.entries(s.marks)),
      snoozedUntil: new Map(Object.entries(s.snoozed)),
      protectedBy: (u) => (s.protectedCreators.includes(u.creator) ? `creator ${u.creator}` : undefined),
    },
    new Date(NOW),
  );
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
