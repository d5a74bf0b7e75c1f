import type { Calendar } from "./evaluate";

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A calendar entry that cannot be read. */
export class CalendarError extends Error {
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
    const [from, to, more] = entry.split("..");
    if (more !== undefined || !DATE.test(from!) || (to !== undefined && !DATE.test(to))) {
      throw new CalendarError(`${key}.${i}: expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got "${entry}"`);
    }
    const start = Date.parse(`${from}T00:00:00Z`);
    const end = Date.parse(`${to ?? from}T00:00:00Z`);
    if (Number.isNaN(start) || Number.isNaN(end) || new Date(start).toISOString().slice(0, 10) !== from) {
      throw new CalendarError(`${key}.${i}: "${entry}" is not a real date`);
    }
    if (end < start) throw new CalendarError(`${key}.${i}: "${entry}" ends before it starts`);
    if (end - start > 366 * 86_400_000)
      throw new CalendarError(`${key}.${i}: "${entry}" spans more than a year`);
    for (let t = start; t <= end; t += 86_400_000) out.add(new Date(t).toISOString().slice(0, 10));
  });
  return out;
}
