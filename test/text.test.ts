import { describe, expect, it } from "vitest";
import { formatMoment, formatSpan } from "../lib/text";

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
