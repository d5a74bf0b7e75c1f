import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { runJobs } from "../../lib/engine/runner";
import { releaseUnitsJob } from "../../lib/jobs";
import { type ComputeUnit, UNIT_STATUSES } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";
import { FakeUnitApi } from "../support/fake-api";

const NOW = Date.parse("2026-11-23T06:00:00Z");
const H = 3_600_000;
const around = fc.integer({ min: -40 * 24 * H, max: 24 * H }).map((d) => new Date(NOW + d).toISOString());

const unitArb: fc.Arbitrary<ComputeUnit> = fc.record({
  instanceId: fc.stringMatching(/^unit-[a-z0-9]{1,5}$/),
  region: fc.constantFrom("bj" as const, "bd" as const),
  status: fc.oneof(
    { arbitrary: fc.constant("Running" as const), weight: 4 },
    { arbitrary: fc.constantFrom(...UNIT_STATUSES), weight: 1 },
  ),
  type: fc.constantFrom("gpu-1", "gpu-2"),
  totalComputeUnits: fc.integer({ min: 1, max: 8 }),
  usedComputeUnits: fc.oneof(
    { arbitrary: fc.constant(0), weight: 3 },
    { arbitrary: fc.integer({ min: 1, max: 8 }), weight: 1 },
  ),
  paymentTiming: fc.constantFrom("Prepaid" as const, "Postpaid" as const),
  startTime: around,
  releaseTime: fc.option(around, { nil: undefined }),
  creator: fc.constantFrom("alice", "alice", "protected"),
});

const scenario = fc.record({
  units: fc.uniqueArray(unitArb, { selector: (u) => u.instanceId, maxLength: 16 }),
  history: fc.array(fc.integer({ min: 0, max: 6 * H }), { maxLength: 3 }),
  maxActionsPerRun: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constant(20)),
  maxFleetFraction: fc.oneof(fc.double({ min: 0.05, max: 1, noNaN: true }), fc.constant(1)),
  dryRun: fc.constantFrom(false, false, true),
  invalidCount: fc.constantFrom(0, 0, 0, 1, 2),
});

describe("the engine over random fleets and histories", () => {
  it("never acts in a dry run, on an invalid listing, beyond the cap, or on a prepaid, busy or protected unit", async () => {
    let runsThatReleased = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const api = new FakeUnitApi(s.units);
        api.invalid = Array.from({ length: s.invalidCount }, (_, i) => ({
          index: i,
          problem: "status: Invalid option",
        }));
        const store = new MemoryStateStore();
        const job = releaseUnitsJob({
          policy: { minAgeMs: H, idleForMs: 2 * H, timeZone: "Asia/Shanghai" },
          protectedBy: (u) => (u.creator === "protected" ? "creator rule" : undefined),
          confirm: { attempts: 1, delayMs: 0 },
        });
        // Earlier runs at increasing times build up idle marks; then the run under test.
        const times = [...s.history.map((d) => NOW - d).sort((a, b) => a - b), NOW];
        let releasedBefore = 0;
        for (const [i, t] of times.entries()) {
          const last = i === times.length - 1;
          releasedBefore = api.releases.length;
          await runJobs({
            jobs: [job],
            api: api.asApi(),
            store,
            memory: new JobMemory(store),
            guards: {
              maxActionsPerRun: s.maxActionsPerRun,
              maxFleetFraction: s.maxFleetFraction,
              allowEmptyListing: false,
              allowInvalidItems: false,
            },
            now: new Date(t),
            clock: () => new Date(t),
            dryRun: last ? s.dryRun : true,
            target: "fake",
          });
        }
        const released = api.releases.slice(releasedBefore);
        if (released.length > 0) runsThatReleased += 1;
        if (s.dryRun || s.invalidCount > 0) expect(released).toEqual([]);
        expect(released.length).toBeLessThanOrEqual(s.maxActionsPerRun);
        const active = s.units.filter((u) => u.status !== "Released").length;
        if (released.length > 0) expect(released.length / active).toBeLessThanOrEqual(s.maxFleetFraction);
        for (const id of released) {
          const original = s.units.find((u) => u.instanceId === id)!;
          expect(original.paymentTiming).toBe("Postpaid");
          expect(original.usedComputeUnits).toBe(0);
          expect(original.status).toBe("Running");
          expect(original.creator).not.toBe("protected");
          expect(NOW - Date.parse(original.startTime)).toBeGreaterThanOrEqual(H);
        }
        expect(new Set(api.releases).size).toBe(api.releases.length);
      }),
      { numRuns: 200 },
    );
    // The property must have been exercised on runs that did release something.
    expect(runsThatReleased).toBeGreaterThan(5);
  });
});
