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
  if (lightFormat(local, "yyyy-MM-dd") === lightFormat(ref, "yyyy-MM-dd")) return lightFormat(local, "HH:mm");
  if (local.getFullYear() === ref.getFullYear()) return lightFormat(local, "MM-dd HH:mm");
  return lightFormat(local, "yyyy-MM-dd HH:mm");
}

/** The zone's offset from UTC at `at`, as ISO 8601 writes it: "+08:00", "-05:00", "+00:00". */
export function formatOffset(at: Date, timeZone: string): string {
  // formatISO writes a zero offset as "Z"; people read "+00:00" beside the other zones' offsets.
  const iso = formatISO(new TZDate(at, timeZone));
  return iso.endsWith("Z") ? "+00:00" : iso.slice(-6);
}

/**
 * A moment for people with its offset, so it can be read anywhere: "14:00 +08:00",
 * "11-21 14:00 +08:00" (see {@link formatMoment}).
 */
export function formatLocalMoment(at: Date, now: Date, timeZone: string): string {
  return `${formatMoment(at, now, timeZone)} ${formatOffset(at, timeZone)}`;
}

/** An instant in full for people, in the zone with its offset: "2026-11-23 14:00:05 +08:00". */
export function formatInstant(at: Date, timeZone: string, seconds = true): string {
  const local = lightFormat(new TZDate(at, timeZone), seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm");
  return `${local} ${formatOffset(at, timeZone)}`;
}
