import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ComputeUnitSchema, checkItems, checkItemsInTurns, eachInTurns } from "../../lib/qianfan";
import { postpaidUnit } from "../support/emulator";

describe("work done in turns of the event loop", () => {
  it("visits every item once, in order, and lets other work run between turns", async () => {
    const items = Array.from({ length: 2500 }, (_, i) => i);
    const seen: number[] = [];
    const between: number[] = [];
    // A timer queued before the walk runs while it goes on, not after it.
    const timer = new Promise<void>((resolve) =>
      setImmediate(() => {
        between.push(seen.length);
        resolve();
      }),
    );
    await eachInTurns(
      items,
      (item, index) => {
        expect(index).toBe(item);
        seen.push(item);
      },
      1000,
    );
    await timer;
    expect(seen).toEqual(items);
    expect(between).toHaveLength(1);
    expect(between[0]).toBeGreaterThan(0);
    expect(between[0]).toBeLessThan(items.length);
  });

  it("checks a large listing in turns exactly as in one go: items, problems and duplicates", async () => {
    // Valid units, units missing a field or with a wrong one, and ids listed twice.
    const item = fc.oneof(
      fc.integer({ min: 0, max: 40 }).map((n) => postpaidUnit(`unit-${n}`)),
      fc.integer({ min: 0, max: 40 }).map((n) => ({ ...postpaidUnit(`unit-${n}`), usedComputeUnits: -1 })),
      fc.integer({ min: 0, max: 40 }).map((n) => ({ instanceId: `unit-${n}` })),
      fc.constant(null),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(item, { maxLength: 40 }),
        fc.integer({ min: 1, max: 60 }),
        async (raw, copies) => {
          const large = Array.from(
            { length: copies * 40 },
            (_, i) => raw[i % Math.max(1, raw.length)] ?? null,
          );
          const once = checkItems(structuredClone(large), ComputeUnitSchema, "instanceId");
          const consumed = structuredClone(large);
          const inTurns = await checkItemsInTurns(consumed, ComputeUnitSchema, "instanceId", true);
          expect(inTurns).toEqual(once);
          expect(consumed).toHaveLength(0);
        },
      ),
      { numRuns: 40 },
    );
  });
});
