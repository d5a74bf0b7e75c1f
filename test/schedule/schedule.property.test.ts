import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildCalendar, isActive, nextTransitions, parseSchedule, WEEKDAYS } from "../../lib/schedule";

const originalTz = process.env.TZ;
afterAll(() => {
  process.env.TZ = originalTz;
});

const hhmm = fc
  .integer({ min: 0, max: 24 * 60 - 1 })
  .map((m) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`);
const zone = fc.constantFrom(
  "Asia/Shanghai",
  "Europe/Berlin",
  "America/New_York",
  "Australia/Lord_Howe",
  "UTC",
);
const weekly = fc
  .tuple(fc.constantFrom(...WEEKDAYS), fc.constantFrom(...WEEKDAYS), hhmm, hhmm, zone)
  .filter(([, , a, b]) => a !== b)
  .map(([d1, d2, a, b, z]) => `${d1}-${d2} ${a}-${b} ${z}`);
const expression = fc.array(weekly, { minLength: 1, maxLength: 3 }).map((terms) => terms.join(", "));
const instant = fc
  .integer({ min: Date.parse("2026-01-01T00:00:00Z"), max: Date.parse("2027-12-31T00:00:00Z") })
  .map((t) => new Date(t));
const calendar = buildCalendar(["2026-10-01..2026-10-07", "2027-02-16"], ["2026-10-10", "2027-02-20"]);

describe("schedules over random expressions and instants", () => {
  it("evaluate the same whatever the machine's time zone", () => {
    // The machine zone really changes under the test (else the property would prove nothing).
    process.env.TZ = "Asia/Kolkata";
    expect(new Date(0).getTimezoneOffset()).toBe(-330);
    process.env.TZ = "America/Los_Angeles";
    expect(new Date(0).getTimezoneOffset()).toBe(480);
    fc.assert(
      fc.property(expression, instant, (expr, at) => {
        const schedule = parseSchedule(expr);
        const results = ["UTC", "Pacific/Kiritimati", "America/Los_Angeles", "Asia/Kolkata"].map((tz) => {
          process.env.TZ = tz;
          return isActive(schedule, at, { defaultZone: "Asia/Shanghai", calendar });
        });
        expect(new Set(results).size).toBe(1);
      }),
      { numRuns: 300 },
    );
  });

  it("agree with their own transitions: the state between two transitions is constant", () => {
    fc.assert(
      fc.property(expression, instant, (expr, at) => {
        const schedule = parseSchedule(expr);
        const options = { defaultZone: "UTC", count: 2, horizonMs: 8 * 86_400_000 };
        const [first] = nextTransitions(schedule, at, options);
        fc.pre(first !== undefined);
        const before = new Date(first!.at.getTime() - 60_000);
        expect(isActive(schedule, before, options)).toBe(!first!.active);
        expect(isActive(schedule, first!.at, options)).toBe(first!.active);
      }),
      { numRuns: 100 },
    );
  });

  it("a list is active exactly when one of its terms is", () => {
    fc.assert(
      fc.property(fc.array(weekly, { minLength: 2, maxLength: 3 }), instant, (terms, at) => {
        const all = isActive(parseSchedule(terms.join(", ")), at, { defaultZone: "UTC" });
        const any = terms.some((t) => isActive(parseSchedule(t), at, { defaultZone: "UTC" }));
        expect(all).toBe(any);
      }),
      { numRuns: 300 },
    );
  });
});
