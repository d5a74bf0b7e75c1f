import { TZDate } from "@date-fns/tz";
import { format, subDays } from "date-fns";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatReleaseTime } from "../../lib/jobs";
import { formatMoment } from "../../lib/text/time";
import { dayBefore, formatOffset, wallClock } from "../../lib/text/wall-clock";

// Zones with DST, half- and quarter-hour offsets, a 30-minute DST shift and a date-line jump.
const ZONES = [
  "UTC",
  "Asia/Shanghai",
  "America/New_York",
  "Europe/London",
  "Australia/Lord_Howe",
  "Pacific/Chatham",
  "Asia/Kolkata",
  "Asia/Kathmandu",
  "America/St_Johns",
  "Pacific/Apia",
];
// 1970 to 2300: what a platform time or a shifted clock can hold.
const instant = fc.integer({ min: 0, max: Date.UTC(2300, 0, 1) });
const zone = fc.constantFrom(...ZONES);

describe("wallClock, against date-fns' TZDate", () => {
  it("reads the same local date, time, weekday and offset in every zone", () => {
    fc.assert(
      fc.property(instant, zone, (ms, timeZone) => {
        const expected = new TZDate(ms, timeZone);
        expect(wallClock(ms, timeZone)).toEqual({
          year: expected.getFullYear(),
          month: expected.getMonth() + 1,
          day: expected.getDate(),
          hour: expected.getHours(),
          minute: expected.getMinutes(),
          second: expected.getSeconds(),
          weekday: expected.getDay(),
          date: format(expected, "yyyy-MM-dd"),
          offsetMinutes: -expected.getTimezoneOffset(),
        });
      }),
      { numRuns: 3000 },
    );
  });

  it("steps back one calendar day as subDays does, across month, year and DST edges", () => {
    fc.assert(
      fc.property(instant, zone, (ms, timeZone) => {
        const yesterday = subDays(new TZDate(ms, timeZone), 1);
        expect(dayBefore(wallClock(ms, timeZone))).toEqual({
          date: format(yesterday, "yyyy-MM-dd"),
          weekday: yesterday.getDay(),
        });
      }),
      { numRuns: 2000 },
    );
  });

  it("writes release times and moments as date-fns' patterns did", () => {
    fc.assert(
      fc.property(instant, instant, zone, (ms, nowMs, timeZone) => {
        const local = new TZDate(ms, timeZone);
        expect(formatReleaseTime(new Date(ms), timeZone)).toBe(format(local, "yyyy-MM-dd'T'HH:mm:ssXXX"));
        const ref = new TZDate(nowMs, timeZone);
        const pattern =
          format(local, "yyyy-MM-dd") === format(ref, "yyyy-MM-dd")
            ? "HH:mm"
            : local.getFullYear() === ref.getFullYear()
              ? "MM-dd HH:mm"
              : "yyyy-MM-dd HH:mm";
        expect(formatMoment(new Date(ms), new Date(nowMs), timeZone)).toBe(format(local, pattern));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes offsets as RFC 3339 does", () => {
    expect([0, 480, -210, 345, 825, -600].map(formatOffset)).toEqual([
      "Z",
      "+08:00",
      "-03:30",
      "+05:45",
      "+13:45",
      "-10:00",
    ]);
  });
});
