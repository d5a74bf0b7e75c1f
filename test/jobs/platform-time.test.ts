import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ComputeUnitSchema, isPlaceholderTime, parsePlatformTime, TimeString } from "../../lib/qianfan";
import { PLACEHOLDER_TIMES } from "./placeholder-times";

describe("isPlaceholderTime and parsePlatformTime", () => {
  it.each(PLACEHOLDER_TIMES)("reads %j as a placeholder: valid, but no date", (value) => {
    expect(isPlaceholderTime(value)).toBe(true);
    expect(parsePlatformTime(value)).toBeUndefined();
    expect(TimeString.safeParse(value).success).toBe(true);
  });

  it.each([
    ["2026-02-29 00:00:00", "29 February in a common year"],
    ["2100-02-29 00:00:00", "29 February in a century that is not a leap year"],
    ["2026-04-31 00:00:00", "31 April"],
    ["2026-13-01 00:00:00", "month 13"],
    ["2026-01-32 00:00:00", "day 32"],
    ["2026-01-01 24:00:00", "hour 24"],
    ["2026-01-01 23:60:00", "minute 60"],
    ["2026-01-01 23:59:60", "second 60"],
    ["2026-02-30T00:00:00Z", "30 February in RFC 3339"],
    ["2026-01-01T25:00:00+08:00", "hour 25 in RFC 3339"],
    ["2026-01-01T00:00:00+24:00", "an offset of 24 hours"],
    ["2026-01-01T00:00:00+08:60", "an offset minute of 60"],
    ["2026-01-01T00:00:00", "RFC 3339 without a zone"],
    ["1900-01-01 00:00:00", "a date before the epoch"],
    ["0099-05-05 00:00:00", "a two-digit year that Date.UTC would read as 1999"],
    ["2026-1-1 00:00:00", "unpadded fields"],
    [" 2026-01-01 00:00:00", "a date with surrounding space"],
    ["yesterday", "words"],
    ["0", "a bare number"],
  ])("refuses %j (%s): not a time, and a validation error", (value) => {
    expect(parsePlatformTime(value)).toBeUndefined();
    expect(isPlaceholderTime(value)).toBe(false);
    expect(TimeString.safeParse(value).success).toBe(false);
  });

  it.each([
    ["2026-11-23 10:00:00", "2026-11-23T02:00:00.000Z"],
    ["2024-02-29 12:00:00", "2024-02-29T04:00:00.000Z"],
    ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
    ["2026-11-23T10:00:00+08:00", "2026-11-23T02:00:00.000Z"],
    ["2026-11-23T10:00:00.250-05:30", "2026-11-23T15:30:00.250Z"],
    ["2026-11-23t10:00:00z", "2026-11-23T10:00:00.000Z"],
    ["1970-01-03T00:00:00Z", "1970-01-03T00:00:00.000Z"],
  ])("reads %j as %s", (value, iso) => {
    expect(parsePlatformTime(value)?.toISOString()).toBe(iso);
    expect(isPlaceholderTime(value)).toBe(false);
  });

  it("keeps a unit whose optional expiredTime is a placeholder a valid item", () => {
    const unit = {
      instanceId: "unit-a",
      region: "bj",
      status: "Running",
      type: "gpu-1",
      totalComputeUnits: 4,
      usedComputeUnits: 0,
      paymentTiming: "Postpaid",
      startTime: "2026-11-20 08:00:00",
      creator: "alice",
    };
    expect(ComputeUnitSchema.safeParse({ ...unit, expiredTime: "-" }).success).toBe(true);
    expect(ComputeUnitSchema.safeParse({ ...unit, releaseTime: "0000-00-00 00:00:00" }).success).toBe(true);
    const bad = ComputeUnitSchema.safeParse({ ...unit, expiredTime: "2026-02-30 00:00:00" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["expiredTime"]);
  });

  const pad = (n: number, width = 2) => String(n).padStart(width, "0");

  it("reads every real calendar date in both forms as the same instant", () => {
    fc.assert(
      fc.property(
        fc.date({
          min: new Date("1970-01-03T00:00:00Z"),
          max: new Date("9999-12-30T00:00:00Z"),
          noInvalidDate: true,
        }),
        (date) => {
          const at = new Date(Math.floor(date.getTime() / 1000) * 1000);
          const beijing = new Date(at.getTime() + 8 * 3_600_000);
          const local = `${pad(beijing.getUTCFullYear(), 4)}-${pad(beijing.getUTCMonth() + 1)}-${pad(beijing.getUTCDate())} ${pad(beijing.getUTCHours())}:${pad(beijing.getUTCMinutes())}:${pad(beijing.getUTCSeconds())}`;
          expect(parsePlatformTime(local)?.getTime()).toBe(at.getTime());
          expect(parsePlatformTime(at.toISOString())?.getTime()).toBe(at.getTime());
        },
      ),
      { numRuns: 500 },
    );
  });

  it("never reads an impossible date, and never a placeholder, as a time", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1968, max: 2100 })),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        fc.boolean(),
        (y, mo, d, h, mi, s, rfc) => {
          const date = `${pad(y, 4)}-${pad(mo)}-${pad(d)}`;
          const clock = `${pad(h)}:${pad(mi)}:${pad(s)}`;
          const value = rfc ? `${date}T${clock}Z` : `${date} ${clock}`;
          const parsed = parsePlatformTime(value);
          if (!parsed) return;
          expect(isPlaceholderTime(value)).toBe(false);
          expect(parsed.getTime()).toBeGreaterThan(86_400_000);
          expect([mo >= 1 && mo <= 12, h < 24, mi < 60, s < 60]).toEqual([true, true, true, true]);
          const utc = rfc ? parsed : new Date(parsed.getTime() + 8 * 3_600_000);
          expect([utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate()]).toEqual([y, mo, d]);
        },
      ),
      { numRuns: 2000 },
    );
  });

  /**
   * The grammar as regular expressions and the calendar as `Date`: a reading by other means, which
   * the character-code reader must match on every string, valid or not.
   */
  function referenceReading(value: string): number | "placeholder" | undefined {
    if (["", "-", "--", "null", "n/a"].includes(value.trim().toLowerCase())) return "placeholder";
    let offset = 8 * 60;
    let fraction = "";
    let fields = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
    if (!fields) {
      fields =
        /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i.exec(
          value,
        );
      if (!fields) return undefined;
      fraction = fields[7] ?? "";
      if (!fields[8]) {
        if (Number(fields[10]) > 23 || Number(fields[11]) > 59) return undefined;
        offset = (fields[9] === "-" ? -1 : 1) * (Number(fields[10]) * 60 + Number(fields[11]));
      } else offset = 0;
    }
    const [y, mo, d, h, mi, s] = fields.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    if (h > 23 || mi > 59 || s > 59) return undefined;
    if (y === 0 || mo === 0 || d === 0) return "placeholder";
    const date = new Date(0);
    date.setUTCFullYear(y, mo - 1, d);
    if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
    const ms = Number(fraction.slice(0, 3).padEnd(3, "0"));
    const at = date.getTime() + ((h * 60 + mi) * 60 + s) * 1000 + ms - offset * 60_000;
    if (Math.abs(at) <= 86_400_000 || Math.abs(at - Date.parse("0001-01-01T00:00:00Z")) <= 86_400_000) {
      return "placeholder";
    }
    return at < 0 ? undefined : at;
  }

  const reading = (value: string) =>
    isPlaceholderTime(value) ? "placeholder" : parsePlatformTime(value)?.getTime();

  it("reads every string as the grammar and the calendar do, near-valid or not", () => {
    const field = (max: number, width = 2) => fc.integer({ min: 0, max }).map((n) => pad(n, width));
    const nearTime = fc
      .tuple(
        fc.oneof(field(9999, 4), fc.constantFrom("0000", "0001", "1969", "1970", "2026", "0099")),
        field(13),
        field(32),
        fc.constantFrom(" ", "T", "t", "x", "", "  "),
        field(25),
        field(61),
        field(61),
        fc.oneof(fc.constant(""), fc.stringMatching(/^\.\d{0,6}$/)),
        fc.constantFrom("", "Z", "z", "+08:00", "-05:30", "+24:00", "+08:60", "+8:00", "+0800", " ", "Z "),
      )
      .map(
        ([y, mo, d, sep, h, mi, s, fraction, zone]) =>
          `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${fraction}${zone}`,
      );
    const mutated = fc
      .tuple(nearTime, fc.nat(), fc.constantFrom("", "0", "9", "-", ":", ".", " ", "a", "\n", "٣"))
      .map(([value, at, put]) => {
        const index = at % (value.length + 1);
        return value.slice(0, index) + put + value.slice(index + 1);
      });
    const anything = fc.oneof(
      nearTime,
      mutated,
      fc.constantFrom("", "-", "--", " null ", "N/A", "n/a\t", "NULL", "none"),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(anything, (value) => {
        expect(reading(value)).toBe(referenceReading(value));
      }),
      { numRuns: 20_000 },
    );
  });
});
