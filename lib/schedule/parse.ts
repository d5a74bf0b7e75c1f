import { parsePlatformTime } from "../qianfan/schemas";

/**
 * The schedule grammar: kube-downscaler's, extended.
 *
 *   schedule := term ("," term)*
 *   term     := "always" | "never"
 *             | days " " HH:MM "-" HH:MM [" " Zone]     weekly; days "Mon-Fri", "Sun-Thu" (wraps), "Sat"
 *             | RFC3339 "-" RFC3339                     absolute, with offsets
 *
 * Ranges are half-open [start, end). An end before its start runs overnight into the next day,
 * and belongs to the day it starts on. "24:00" may end a range.
 */

export const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

export type Term =
  | { kind: "always" }
  | { kind: "never" }
  | {
      kind: "weekly";
      /** Weekdays the range starts on, 0 = Sunday. */
      days: ReadonlySet<number>;
      startMinute: number;
      endMinute: number;
      /** Undefined: the schedule's default zone. */
      zone?: string;
      text: string;
    }
  | { kind: "absolute"; start: Date; end: Date; text: string };

export interface Schedule {
  text: string;
  terms: Term[];
}

/** A schedule that cannot be parsed: where and what was expected. */
export class ScheduleSyntaxError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "ScheduleSyntaxError";
  override name = "ScheduleSyntaxError";
  constructor(
    readonly expression: string,
    readonly position: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(
      `schedule "${expression}" at position ${position + 1}: expected ${expected}, found ${found ? `"${found}"` : "the end"}`,
    );
  }
}

const ABSOLUTE =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2}))-(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2}))$/i;

/** True when `zone` is an IANA time zone this runtime knows. */
function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Parses a schedule expression; throws {@link ScheduleSyntaxError} with the position. */
export function parseSchedule(expression: string): Schedule {
  const terms: Term[] = [];
  let offset = 0;
  const parts = expression.split(",");
  if (expression.trim() === "")
    throw new ScheduleSyntaxError(expression, 0, "a schedule such as 'Mon-Fri 08:00-20:00'", "");
  for (const part of parts) {
    const lead = part.length - part.trimStart().length;
    terms.push(parseTerm(expression, part.trim(), offset + lead));
    offset += part.length + 1;
  }
  return { text: expression, terms };
}

function parseTerm(expression: string, term: string, at: number): Term {
  const fail = (pos: number, expected: string, found: string): never => {
    throw new ScheduleSyntaxError(expression, at + pos, expected, found);
  };
  if (term === "") fail(0, "a schedule term", "");
  const lower = term.toLowerCase();
  if (lower === "always") return { kind: "always" };
  if (lower === "never") return { kind: "never" };
  if (/^\d{4}-/.test(term)) {
    const match = ABSOLUTE.exec(term);
    if (!match) fail(0, "an absolute range START-END of RFC 3339 times with offsets", term);
    const start = parsePlatformTime(withSeconds(match![1]!));
    const end = parsePlatformTime(withSeconds(match![2]!));
    if (!start) fail(0, "a valid start time", match![1]!);
    if (!end) fail(match![1]!.length + 1, "a valid end time", match![2]!);
    if (end!.getTime() <= start!.getTime()) fail(match![1]!.length + 1, "an end after the start", match![2]!);
    return { kind: "absolute", start: start!, end: end!, text: term };
  }
  const tokens = [...term.matchAll(/\S+/g)].map((m) => ({ text: m[0], pos: m.index ?? 0 }));
  const [daysToken, timeToken, zoneToken, extra] = tokens;
  if (!daysToken) return fail(0, "weekdays such as 'Mon-Fri'", term);
  const days = parseDays(daysToken.text, (offsetInToken, expected, found) =>
    fail(daysToken.pos + offsetInToken, expected, found),
  );
  if (!timeToken) return fail(term.length, "a time range such as '08:00-20:00'", "");
  const timeMatch = /^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$/.exec(timeToken.text);
  if (!timeMatch)
    return fail(timeToken.pos, "a time range HH:MM-HH:MM such as '08:00-20:00'", timeToken.text);
  const [, h1, m1, h2, m2] = timeMatch.map(Number) as number[];
  const startMinute = clock(h1!, m1!, false, () =>
    fail(timeToken.pos, "a start time from 00:00 to 23:59", timeToken.text.split("-")[0]!),
  );
  const endMinute = clock(h2!, m2!, true, () =>
    fail(
      timeToken.pos + timeToken.text.indexOf("-") + 1,
      "an end time from 00:00 to 24:00",
      timeToken.text.split("-")[1]!,
    ),
  );
  if (startMinute === endMinute) fail(timeToken.pos, "a range whose start and end differ", timeToken.text);
  if (zoneToken && !knownZone(zoneToken.text))
    fail(zoneToken.pos, "an IANA time zone such as Asia/Shanghai", zoneToken.text);
  if (extra) fail(extra.pos, "',' or the end", extra.text);
  return { kind: "weekly", days, startMinute, endMinute, zone: zoneToken?.text, text: term };
}

function withSeconds(time: string): string {
  return /T\d{2}:\d{2}(Z|[+-])/i.test(time) ? time.replace(/(T\d{2}:\d{2})/i, "$1:00") : time;
}

function clock(h: number, m: number, allow24: boolean, fail: () => never): number {
  if (m > 59) fail();
  if (h === 24 && m === 0 && allow24) return 24 * 60;
  if (h > 23) fail();
  return h * 60 + m;
}

function dayIndex(name: string): number {
  return WEEKDAYS.findIndex((d) => d.toLowerCase() === name.toLowerCase());
}

function parseDays(
  text: string,
  fail: (offset: number, expected: string, found: string) => never,
): Set<number> {
  const expected = "a weekday (Mon, Tue, Wed, Thu, Fri, Sat, Sun)";
  const [from, to, more] = text.split("-");
  if (more !== undefined) fail(from!.length + to!.length + 2, "one range FROM-TO", text);
  const first = dayIndex(from!);
  if (first < 0) fail(0, expected, from!);
  if (to === undefined) return new Set([first]);
  const last = dayIndex(to);
  if (last < 0) fail(from!.length + 1, expected, to);
  const days = new Set<number>();
  for (let d = first; ; d = (d + 1) % 7) {
    days.add(d);
    if (d === last) break;
  }
  return days;
}
