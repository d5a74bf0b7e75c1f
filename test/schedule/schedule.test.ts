import { describe, expect, it } from "vitest";
import {
  buildCalendar,
  CalendarError,
  isActive,
  nextTransitions,
  parseSchedule,
  ScheduleSyntaxError,
} from "../../lib/schedule";

const SH = { defaultZone: "Asia/Shanghai" };
const on = (expr: string, at: string, options: Parameters<typeof isActive>[2] = SH) =>
  isActive(parseSchedule(expr), new Date(at), options);

describe("schedule grammar and evaluation", () => {
  it.each([
    // [expression, instant, expected]
    ["Mon-Fri 08:00-20:00", "2026-11-23T00:00:00Z", true], // Mon 08:00 Shanghai: start is inside
    ["Mon-Fri 08:00-20:00", "2026-11-22T23:59:59Z", false], // Mon 07:59:59
    ["Mon-Fri 08:00-20:00", "2026-11-23T12:00:00Z", false], // Mon 20:00: end is outside (half-open)
    ["Mon-Fri 08:00-20:00", "2026-11-23T11:59:00Z", true], // Mon 19:59
    ["Mon-Fri 08:00-20:00", "2026-11-28T04:00:00Z", false], // Sat 12:00
    ["Mon-Fri 08:00-20:00 Europe/Berlin", "2026-11-23T07:00:00Z", true], // Mon 08:00 Berlin
    ["Mon-Fri 08:00-20:00 Europe/Berlin", "2026-11-23T06:59:00Z", false],
    ["Sun-Thu 09:00-17:00", "2026-11-22T01:00:00Z", true], // Sun 09:00: the range wraps past Sat
    ["Sun-Thu 09:00-17:00", "2026-11-27T01:00:00Z", false], // Fri
    ["Fri-Mon 10:00-12:00", "2026-11-28T02:30:00Z", true], // Sat inside a wrapping range
    ["Fri-Mon 10:00-12:00", "2026-11-25T02:30:00Z", false], // Wed
    ["Sat 10:00-15:00", "2026-11-28T03:00:00Z", true],
    ["Mon-Fri 20:00-08:00", "2026-11-27T23:00:00Z", true], // Sat 07:00: Friday's overnight range
    ["Mon-Fri 20:00-08:00", "2026-11-28T23:00:00Z", false], // Sun 07:00: Saturday starts none
    ["Mon-Fri 20:00-08:00", "2026-11-23T00:00:00Z", false], // Mon 08:00: end is outside
    ["Mon-Fri 20:00-08:00", "2026-11-22T23:30:00Z", false], // Mon 07:30: Sunday started none
    ["Mon-Fri 20:00-08:00", "2026-11-23T12:00:00Z", true], // Mon 20:00
    ["Mon-Fri 00:00-24:00", "2026-11-27T15:59:00Z", true], // Fri 23:59
    ["Mon-Fri 00:00-24:00", "2026-11-27T16:00:00Z", false], // Sat 00:00
    ["Sat 10:00-15:00, Mon-Fri 08:00-20:00", "2026-11-28T03:00:00Z", true],
    ["always", "2026-11-28T03:00:00Z", true],
    ["never", "2026-11-28T03:00:00Z", false],
    ["2026-10-01T00:00:00+08:00-2026-10-08T00:00:00+08:00", "2026-09-30T16:00:00Z", true],
    ["2026-10-01T00:00:00+08:00-2026-10-08T00:00:00+08:00", "2026-10-07T16:00:00Z", false],
    ["2026-10-01T00:00+08:00-2026-10-08T00:00+08:00, never", "2026-10-03T00:00:00Z", true],
  ])("%s at %s is %s", (expr, at, expected) => {
    expect(on(expr, at)).toBe(expected);
  });

  it("keeps local office hours across the spring-forward day in Berlin (29 March 2026)", () => {
    const expr = "Sun 08:00-20:00 Europe/Berlin";
    expect(on(expr, "2026-03-29T05:59:00Z")).toBe(false); // 07:59 CEST
    expect(on(expr, "2026-03-29T06:00:00Z")).toBe(true); // 08:00 CEST, not 07:00 UTC+1
    expect(on(expr, "2026-03-29T17:59:00Z")).toBe(true); // 19:59 CEST
    expect(on(expr, "2026-03-29T18:00:00Z")).toBe(false);
  });

  it("keeps local hours across the fall-back day in New York (1 November 2026)", () => {
    const expr = "Sun 00:00-12:00 America/New_York";
    expect(on(expr, "2026-11-01T04:00:00Z")).toBe(true); // 00:00 EDT
    expect(on(expr, "2026-11-01T16:59:00Z")).toBe(true); // 11:59 EST
    expect(on(expr, "2026-11-01T17:00:00Z")).toBe(false); // 12:00 EST
    const transitions = nextTransitions(parseSchedule(expr), new Date("2026-10-31T12:00:00Z"), {
      defaultZone: "UTC",
      count: 2,
    });
    expect(transitions.map((t) => [t.at.toISOString(), t.active])).toEqual([
      ["2026-11-01T04:00:00.000Z", true],
      ["2026-11-01T17:00:00.000Z", false], // a 13-hour morning: the extra hour is local time
    ]);
  });

  it("handles a range over the skipped hour on the spring-forward day in New York (8 March 2026)", () => {
    const expr = "Sun 02:30-03:30 America/New_York";
    // 02:30 does not exist that day: 01:59 EST is followed by 03:00 EDT, which is inside the range.
    expect(on(expr, "2026-03-08T06:59:00Z")).toBe(false);
    expect(on(expr, "2026-03-08T07:00:00Z")).toBe(true);
    expect(on(expr, "2026-03-08T07:30:00Z")).toBe(false);
  });

  it("turns a scheduled day off on a holiday, and a make-up Saturday on (调休)", () => {
    const calendar = buildCalendar(["2026-10-01..2026-10-07"], ["2026-10-10"]);
    const options = { ...SH, calendar };
    expect(on("Mon-Fri 08:00-20:00", "2026-10-05T02:00:00Z", options)).toBe(false); // Mon in the holiday
    expect(on("Mon-Fri 08:00-20:00", "2026-10-08T02:00:00Z", options)).toBe(true); // Thu after it
    expect(on("Mon-Fri 08:00-20:00", "2026-10-10T02:00:00Z", options)).toBe(true); // make-up Sat
    expect(on("Mon-Fri 08:00-20:00", "2026-10-10T02:00:00Z")).toBe(false); // the same Sat without the calendar
    expect(on("Sat-Sun 10:00-12:00", "2026-10-10T02:30:00Z", options)).toBe(false); // weekend-only terms stay off
  });

  it("ends an overnight range that started the evening before a holiday", () => {
    const calendar = buildCalendar(["2026-10-01"], []);
    // Wed 30 Sep 20:00 → Thu 1 Oct 08:00 belongs to Wednesday, which is a working day.
    expect(on("Mon-Fri 20:00-08:00", "2026-09-30T22:00:00Z", { ...SH, calendar })).toBe(true);
    // Thu 1 Oct 20:00 starts nothing: Thursday is the holiday.
    expect(on("Mon-Fri 20:00-08:00", "2026-10-01T13:00:00Z", { ...SH, calendar })).toBe(false);
  });

  it("lists the next transitions across a week boundary", () => {
    const t = nextTransitions(parseSchedule("Mon-Fri 08:00-20:00"), new Date("2026-11-27T11:00:00Z"), {
      ...SH,
      count: 3,
    });
    expect(t.map((x) => [x.at.toISOString(), x.active])).toEqual([
      ["2026-11-27T12:00:00.000Z", false], // Fri 20:00
      ["2026-11-30T00:00:00.000Z", true], // Mon 08:00
      ["2026-11-30T12:00:00.000Z", false],
    ]);
  });

  it.each([
    ["Mon-Fry 08:00-20:00", 5, "a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)", "Fry"],
    ["Mon-Fri 8-20", 9, "a time range HH:MM-HH:MM such as '08:00-20:00'", "8-20"],
    ["Mon-Fri 08:00-25:00", 15, "an end time from 00:00 to 24:00", "25:00"],
    ["Mon-Fri 08:00-20:00 Mars/Olympus", 21, "an IANA time zone such as Asia/Shanghai", "Mars/Olympus"],
    ["Mon-Fri", 8, "a time range such as '08:00-20:00'", ""],
    ["Mon-Fri 08:00-20:00,, Sat 10:00-12:00", 21, "a schedule term", ""],
    ["Mon-Fri 08:00-08:00", 9, "a range whose start and end differ", "08:00-08:00"],
    [
      "2026-10-08T00:00:00+08:00-2026-10-01T00:00:00+08:00",
      27,
      "an end after the start",
      "2026-10-01T00:00:00+08:00",
    ],
    ["Mon-Fri 08:00-20:00 UTC extra", 25, "',' or the end", "extra"],
  ])("refuses %j, pointing at position %d", (expr, position, expected, found) => {
    let error: ScheduleSyntaxError | undefined;
    try {
      parseSchedule(expr);
    } catch (e) {
      error = e as ScheduleSyntaxError;
    }
    expect(error).toBeInstanceOf(ScheduleSyntaxError);
    expect({ position: error!.position + 1, expected: error!.expected, found: error!.found }).toEqual({
      position,
      expected,
      found,
    });
    expect(error!.message).toContain(`at position ${position}: expected ${expected}`);
  });

  it("refuses calendar entries that are not dates", () => {
    expect(() => buildCalendar(["2026-02-30"], [])).toThrow(CalendarError);
    expect(() => buildCalendar([], ["2026-10-10..2026-10-01"])).toThrow(
      'workdays.0: "2026-10-10..2026-10-01" ends before it starts',
    );
  });
});
