import { TZDate } from "@date-fns/tz";
import { lightFormat, subDays } from "date-fns";
import type { Schedule, Term } from "./parse";
import { WEEKDAYS } from "./parse";

/** Holidays turn a scheduled day off; make-up workdays (China's 调休) turn a day on as a working day. */
export interface Calendar {
  /** Local dates `YYYY-MM-DD` with no weekly range. */
  holidays: ReadonlySet<string>;
  /** Local dates `YYYY-MM-DD` that count as a working day (Mon–Fri) whatever their weekday. */
  workdays: ReadonlySet<string>;
}

export const EMPTY_CALENDAR: Calendar = { holidays: new Set(), workdays: new Set() };

export interface EvaluateOptions {
  /** The zone of weekly terms that name none. */
  defaultZone: string;
  calendar?: Calendar;
}

const WORKING_DAYS = [1, 2, 3, 4, 5];

/** Whether a weekly range starting on this local date applies (holidays and make-up days first). */
function dayApplies(
  term: Extract<Term, { kind: "weekly" }>,
  date: string,
  weekday: number,
  calendar: Calendar,
): boolean {
  if (calendar.holidays.has(date)) return false;
  if (calendar.workdays.has(date)) return WORKING_DAYS.some((d) => term.days.has(d));
  return term.days.has(weekday);
}

/** The term that makes the schedule active at `at`, or undefined when it is inactive. */
export function activeTerm(schedule: Schedule, at: Date, options: EvaluateOptions): Term | undefined {
  const calendar = options.calendar ?? EMPTY_CALENDAR;
  for (const term of schedule.terms) {
    if (term.kind === "always") return term;
    if (term.kind === "never") continue;
    if (term.kind === "absolute") {
      if (term.start.getTime() <= at.getTime() && at.getTime() < term.end.getTime()) return term;
      continue;
    }
    // Wall-clock comparison in the term's zone: on DST days a range keeps its local hours.
    const local = new TZDate(at.getTime(), term.zone ?? options.defaultZone);
    const minute = local.getHours() * 60 + local.getMinutes();
    const today = lightFormat(local, "yyyy-MM-dd");
    if (term.startMinute < term.endMinute) {
      if (
        minute >= term.startMinute &&
        minute < term.endMinute &&
        dayApplies(term, today, local.getDay(), calendar)
      )
        return term;
      continue;
    }
    if (minute >= term.startMinute && dayApplies(term, today, local.getDay(), calendar)) return term;
    if (minute < term.endMinute) {
      const yesterday = subDays(local, 1);
      if (dayApplies(term, lightFormat(yesterday, "yyyy-MM-dd"), yesterday.getDay(), calendar)) return term;
    }
  }
  return undefined;
}

/** Level-triggered: what the schedule wants at `at`. */
export function isActive(schedule: Schedule, at: Date, options: EvaluateOptions): boolean {
  return activeTerm(schedule, at, options) !== undefined;
}

export interface Transition {
  at: Date;
  /** The state the schedule enters at `at`. */
  active: boolean;
}

const MINUTE = 60_000;

/**
 * The next changes of the schedule after `from`, found minute by minute (every boundary the
 * grammar allows is a whole minute) up to `horizonMs` ahead.
 */
export function nextTransitions(
  schedule: Schedule,
  from: Date,
  options: EvaluateOptions & { count?: number; horizonMs?: number },
): Transition[] {
  const count = options.count ?? 4;
  const horizon = from.getTime() + (options.horizonMs ?? 15 * 24 * 60 * MINUTE);
  const out: Transition[] = [];
  let state = isActive(schedule, from, options);
  for (
    let t = Math.floor(from.getTime() / MINUTE) * MINUTE + MINUTE;
    t <= horizon && out.length < count;
    t += MINUTE
  ) {
    const now = isActive(schedule, new Date(t), options);
    if (now !== state) {
      out.push({ at: new Date(t), active: now });
      state = now;
    }
  }
  return out;
}

/** When the current active (or inactive) stretch ends, or undefined within the horizon. */
export function currentStretchEnd(
  schedule: Schedule,
  from: Date,
  options: EvaluateOptions & { horizonMs?: number },
): Date | undefined {
  return nextTransitions(schedule, from, { ...options, count: 1 })[0]?.at;
}

/** A weekly term in words, for explanations. */
export function describeTerm(term: Term, defaultZone: string): string {
  if (term.kind === "always") return "always";
  if (term.kind === "never") return "never";
  if (term.kind === "absolute") return `from ${term.start.toISOString()} until ${term.end.toISOString()}`;
  const days = [...term.days].map((d) => WEEKDAYS[d]).join(", ");
  const hhmm = (m: number) =>
    `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
  const overnight = term.startMinute > term.endMinute ? " (overnight, into the next day)" : "";
  return `${days} ${hhmm(term.startMinute)}–${hhmm(term.endMinute)}${overnight} ${term.zone ?? defaultZone}`;
}
