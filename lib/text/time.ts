import { TZDate } from "@date-fns/tz";
import { formatISO, lightFormat } from "date-fns";

/**
 * A span of time for people, in its two largest units, rounded at the second: "2h15m", "1d5h",
 * "45s". Rounding (not truncating) keeps a few milliseconds of clock jitter from turning 29h into
 * "1d4h".
 */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  const sign = ms < 0 ? "-" : "";
  const seconds = Math.round(Math.abs(ms) / 1000);
  const two = (big: number, bigUnit: string, small: number, smallUnit: string) => {
    const total = Math.round(seconds / small);
    const whole = Math.floor(total / (big / small));
    const rest = total % (big / small);
    return `${sign}${whole}${bigUnit}${rest ? `${rest}${smallUnit}` : ""}`;
  };
  if (seconds >= 86_400) return two(86_400, "d", 3600, "h");
  if (seconds >= 3600) return two(3600, "h", 60, "m");
  if (seconds >= 60) return two(60, "m", 1, "s");
  return `${sign}${seconds}s`;
}

/**
 * A moment for people, in the configured zone: "14:00" when it falls on the same local day as
 * `now`, else "11-21 14:00", else with the year.
 */
export function formatMoment(at: Date, now: Date, timeZone: string): string {
  const local = new TZDate(at, timeZone);
  const ref = new TZDate(now, timeZone);
  return lightFormat(local, momentPattern(local, lightFormat(ref, "yyyy-MM-dd"), ref.getFullYear()));
}

/** How much of a moment {@link formatMoment} writes, against `now`'s local day and year. */
function momentPattern(local: TZDate, today: string, year: number): string {
  if (lightFormat(local, "yyyy-MM-dd") === today) return "HH:mm";
  return local.getFullYear() === year ? "MM-dd HH:mm" : "yyyy-MM-dd HH:mm";
}

/** The zone's offset from UTC at `at`, as ISO 8601 writes it: "+08:00", "-05:00", "+00:00". */
export function formatOffset(at: Date, timeZone: string): string {
  return offsetOf(new TZDate(at, timeZone));
}

function offsetOf(local: TZDate): string {
  // formatISO writes a zero offset as "Z"; people read "+00:00" beside the other zones' offsets.
  const iso = formatISO(local);
  return iso.endsWith("Z") ? "+00:00" : iso.slice(-6);
}

/**
 * A moment for people with its offset, so it can be read anywhere: "14:00 +08:00",
 * "11-21 14:00 +08:00" (see {@link formatMoment}).
 */
export function formatLocalMoment(at: Date, now: Date, timeZone: string): string {
  return momentWriter(now, timeZone)(at);
}

/**
 * {@link formatLocalMoment} for many moments against one `now`, as a planner writes them: `now`'s
 * local day is found once, each moment is put in the zone once, and a moment written before is
 * not written again (many units share one: idle since now, the same auto-release time).
 */
export function momentWriter(now: Date, timeZone: string): (at: Date) => string {
  const ref = new TZDate(now, timeZone);
  const today = lightFormat(ref, "yyyy-MM-dd");
  const year = ref.getFullYear();
  const written = new Map<number, string>();
  return (at) => {
    const ms = at.getTime();
    let text = written.get(ms);
    if (text === undefined) {
      const local = new TZDate(ms, timeZone);
      text = `${lightFormat(local, momentPattern(local, today, year))} ${offsetOf(local)}`;
      written.set(ms, text);
    }
    return text;
  };
}

/** An instant in full for people, in the zone with its offset: "2026-11-23 14:00:05 +08:00". */
export function formatInstant(at: Date, timeZone: string, seconds = true): string {
  const local = new TZDate(at, timeZone);
  return `${lightFormat(local, seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm")} ${offsetOf(local)}`;
}
