import { TZDate } from "@date-fns/tz";
import { format, lightFormat } from "date-fns";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatReleaseTime } from "../../lib/jobs/tpm-windows/plan";
import { formatInstant, formatMoment, formatOffset } from "../../lib/text/time";

/** Zones with DST, half- and quarter-hour offsets, both sides of the date line, and UTC. */
const ZONES = [
  "UTC",
  "Asia/Shanghai",
  "Pacific/Chatham",
  "America/St_Johns",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "Europe/London",
  "America/Los_Angeles",
  "Pacific/Kiritimati",
  "Pacific/Pago_Pago",
];
const instant = fc
  .integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) })
  .map((ms) => new Date(ms));
const zone = fc.constantFrom(...ZONES);
/** How far `now` is from the moment: within a day as often as across days and years. */
const gap = fc.oneof(
  fc.integer({ min: -86_400_000, max: 86_400_000 }),
  fc.integer({ min: -400 * 86_400_000, max: 400 * 86_400_000 }),
);

// The wall clocks go through lightFormat and formatISO, which carry no locale tables; these hold
// them to what date-fns' format writes for the same patterns.
describe("wall-clock strings", () => {
  it("lightFormat writes what format writes for every pattern the schedules and reports use", () => {
    fc.assert(
      fc.property(instant, zone, (at, timeZone) => {
        const local = new TZDate(at.getTime(), timeZone);
        for (const pattern of ["yyyy-MM-dd", "HH:mm", "MM-dd HH:mm", "yyyy-MM-dd HH:mm"]) {
          expect(lightFormat(local, pattern)).toBe(format(local, pattern));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("writes a release time as format's yyyy-MM-dd'T'HH:mm:ssXXX in the zone", () => {
    fc.assert(
      fc.property(instant, zone, (at, timeZone) => {
        expect(formatReleaseTime(at, timeZone)).toBe(
          format(new TZDate(at.getTime(), timeZone), "yyyy-MM-dd'T'HH:mm:ssXXX"),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it("writes a moment for people with the time alone on the same local day, the date in the same year", () => {
    fc.assert(
      fc.property(instant, gap, zone, (at, ms, timeZone) => {
        const now = new Date(at.getTime() + ms);
        const [local, ref] = [new TZDate(at.getTime(), timeZone), new TZDate(now.getTime(), timeZone)];
        const expected =
          format(local, "yyyy-MM-dd") === format(ref, "yyyy-MM-dd")
            ? format(local, "HH:mm")
            : local.getFullYear() === ref.getFullYear()
              ? format(local, "MM-dd HH:mm")
              : format(local, "yyyy-MM-dd HH:mm");
        expect(formatMoment(at, now, timeZone)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it("writes an offset and a full instant as format's xxx and yyyy-MM-dd HH:mm:ss xxx", () => {
    fc.assert(
      fc.property(instant, zone, (at, timeZone) => {
        const local = new TZDate(at.getTime(), timeZone);
        expect(formatOffset(at, timeZone)).toBe(format(local, "xxx"));
        expect(formatInstant(at, timeZone)).toBe(format(local, "yyyy-MM-dd HH:mm:ss xxx"));
        expect(formatInstant(at, timeZone, false)).toBe(format(local, "yyyy-MM-dd HH:mm xxx"));
      }),
      { numRuns: 2000 },
    );
  });
});
