/** What a clock on the wall in a time zone shows at a moment. */
export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  /** 0–23. */
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  /** The local date, `YYYY-MM-DD`. */
  date: string;
  /** Local time minus UTC, in minutes (+480 in Asia/Shanghai). */
  offsetMinutes: number;
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** One formatter per zone: building one costs far more than using it. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      weekday: "short",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/** The local date of year, month and day, `YYYY-MM-DD`. */
export function localDate(year: number, month: number, day: number): string {
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

/**
 * The wall clock in `timeZone` (an IANA zone) at `at`, from the runtime's time zone data (Intl):
 * on a DST day the hours are the local ones, as people read them.
 */
export function wallClock(at: Date | number, timeZone: string): WallClock {
  const ms = typeof at === "number" ? at : at.getTime();
  const fields: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(ms)) fields[part.type] = part.value;
  const year = Number(fields.year);
  const [month, day, hour, minute, second] = [
    fields.month,
    fields.day,
    fields.hour,
    fields.minute,
    fields.second,
  ].map(Number) as [number, number, number, number, number];
  // The offset is what separates the wall clock, read as if it were UTC, from the moment itself.
  const asUtc = new Date(0);
  asUtc.setUTCFullYear(year, month - 1, day);
  asUtc.setUTCHours(hour, minute, second, 0);
  const offsetMinutes = Math.round((asUtc.getTime() - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    weekday: WEEKDAY_INDEX[fields.weekday!]!,
    date: localDate(year, month, day),
    offsetMinutes,
  };
}

/** The calendar day before a local date, with its weekday (0 = Sunday). */
export function dayBefore(clock: Pick<WallClock, "year" | "month" | "day">): {
  date: string;
  weekday: number;
} {
  const utc = new Date(0);
  utc.setUTCFullYear(clock.year, clock.month - 1, clock.day - 1);
  return {
    date: localDate(utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate()),
    weekday: utc.getUTCDay(),
  };
}

/** An offset as RFC 3339 writes it: `Z`, `+08:00`, `-03:30`. */
export function formatOffset(offsetMinutes: number): string {
  if (offsetMinutes === 0) return "Z";
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** `HH:mm` of a wall clock. */
export function hourMinute(clock: Pick<WallClock, "hour" | "minute">): string {
  return `${pad(clock.hour)}:${pad(clock.minute)}`;
}
