import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";

/** A span of time for people: "2h15m", "3d4h", "45s". */
export function formatSpan(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  const sign = ms < 0 ? "-" : "";
  let rest = Math.floor(Math.abs(ms) / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}s`);
  return sign + parts.slice(0, 2).join("");
}

/**
 * A moment for people, in the configured zone: "14:00" when it falls on the same local day as
 * `now`, else "11-21 14:00", else with the year.
 */
export function formatMoment(at: Date, now: Date, timeZone: string): string {
  const local = new TZDate(at, timeZone);
  const ref = new TZDate(now, timeZone);
  if (format(local, "yyyy-MM-dd") === format(ref, "yyyy-MM-dd")) return format(local, "HH:mm");
  if (local.getFullYear() === ref.getFullYear()) return format(local, "MM-dd HH:mm");
  return format(local, "yyyy-MM-dd HH:mm");
}
