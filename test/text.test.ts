import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatLocalMoment, formatMoment, formatOffset, formatSpan, momentWriter } from "../lib/text";

describe("formatSpan", () => {
  it.each([
    [0, "0s"],
    [45_000, "45s"],
    [90_000, "1m30s"],
    [2 * 3_600_000 + 15 * 60_000, "2h15m"],
    [2 * 3_600_000, "2h"],
    [29 * 3_600_000, "1d5h"],
    [29 * 3_600_000 - 7, "1d5h"],
    [29 * 3_600_000 + 29 * 60_000, "1d5h"],
    [29 * 3_600_000 + 31 * 60_000, "1d6h"],
    [53 * 86_400_000 + 6 * 3_600_000, "53d6h"],
    [-90_000, "-1m30s"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatSpan(ms)).toBe(text);
  });
});

describe("formatMoment", () => {
  const now = new Date("2026-11-23T06:25:00Z");
  it("shows the clock time on the same local day, the date otherwise, in the given zone", () => {
    expect(formatMoment(new Date("2026-11-23T04:10:00Z"), now, "Asia/Shanghai")).toBe("12:10");
    expect(formatMoment(new Date("2026-11-22T04:10:00Z"), now, "Asia/Shanghai")).toBe("11-22 12:10");
    expect(formatMoment(new Date("2025-11-22T04:10:00Z"), now, "Asia/Shanghai")).toBe("2025-11-22 12:10");
    expect(formatMoment(new Date("2026-11-23T04:10:00Z"), now, "America/New_York")).toBe("11-22 23:10");
  });
});

describe("momentWriter", () => {
  it("writes each moment as formatLocalMoment does, with its offset, whatever the zone and moment", () => {
    // Zones with half-hour, 45-minute and DST offsets, and one that skipped a day; moments around
    // a few years, so that the same day, the same year and other years all occur.
    const zones = "UTC Asia/Shanghai America/New_York Australia/Lord_Howe Asia/Kathmandu Pacific/Apia".split(
      " ",
    );
    const instant = fc.date({
      min: new Date("2024-01-01T00:00:00Z"),
      max: new Date("2028-01-01T00:00:00Z"),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        instant,
        fc.array(instant, { maxLength: 20 }),
        (zone, now, moments) => {
          const write = momentWriter(now, zone);
          // Twice each: the second comes from what was written the first time.
          for (const at of [...moments, ...moments, now]) {
            expect(write(at)).toBe(`${formatMoment(at, now, zone)} ${formatOffset(at, zone)}`);
            expect(formatLocalMoment(at, now, zone)).toBe(write(at));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("writes the offset beside the local time, +00:00 for UTC", () => {
    const now = new Date("2026-11-23T06:25:00Z");
    const write = momentWriter(now, "Asia/Shanghai");
    expect(write(new Date("2026-11-23T04:10:00Z"))).toBe("12:10 +08:00");
    expect(write(new Date("2026-11-22T04:10:00Z"))).toBe("11-22 12:10 +08:00");
    expect(momentWriter(now, "UTC")(new Date("2025-03-01T00:00:59Z"))).toBe("2025-03-01 00:00 +00:00");
    expect(momentWriter(now, "America/New_York")(new Date("2026-07-04T16:00:00Z"))).toBe(
      "07-04 12:00 -04:00",
    );
  });
});
