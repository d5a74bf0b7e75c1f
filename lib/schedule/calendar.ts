import type { Calendar } from "./evaluate";

const DAY_MS = 86_400_000;

/** A calendar entry that cannot be read. */
export class CalendarError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "CalendarError";
  override name = "CalendarError";
}

/**
 * Builds a calendar from lists of dates and ranges: "2026-10-01" or "2026-10-01..2026-10-07"
 * (inclusive). Dates are local dates in the schedule's zone.
 */
export function buildCalendar(holidays: readonly string[], workdays: readonly string[]): Calendar {
  return { holidays: expandDates(holidays, "holidays"), workdays: expandDates(workdays, "workdays") };
}

function expandDates(entries: readonly string[], key: string): Set<string> {
  const out = new Set<string>();
  entries.forEach((entry, i) => {
    const problem = calendarEntryProblem(entry);
    if (problem) throw new CalendarError(`${key}.${i}: ${problem}`);
    const [from, to] = entry.split("..");
    const end = calendarDay(to ?? from!)!;
    for (let t = calendarDay(from!)!; t <= end; t += DAY_MS) out.add(new Date(t).toISOString().slice(0, 10));
  });
  return out;
}

/** The instant of a real calendar date "YYYY-MM-DD" (UTC midnight), or undefined. */
function calendarDay(text: string): number | undefined {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
}

/**
 * Why a calendar entry ("2026-10-01" or "2026-10-01..2026-10-07") cannot be used, or undefined:
 * real dates only, a range that does not end before it starts and spans at most a year. The config
 * checks entries with this at load, so a bad date is a config error with its line.
 */
export function calendarEntryProblem(entry: string): string | undefined {
  const match = /^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$/.exec(entry);
  if (!match) {
    const shown = JSON.stringify(entry);
    return `expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got ${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown}`;
  }
  const [, from, to] = match;
  const start = calendarDay(from!);
  if (start === undefined) return `${from} is not a real date`;
  const end = to === undefined ? start : calendarDay(to);
  if (end === undefined) return `${to} is not a real date`;
  if (end < start) return `"${entry}" ends before it starts`;
  if (end - start > 366 * DAY_MS) return `"${entry}" spans more than a year`;
  return undefined;
}
