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
});
