import { z } from "zod";

const UNITS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };
const HUMAN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * Parses a duration: "90s", "30m", "2h", "1d", "1h30m", "2w", or ISO 8601 "PT2H" / "P1DT12H".
 * Returns milliseconds, or undefined for anything else.
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === "" || value === "P" || value === "PT") return undefined;
  const human = HUMAN.exec(value);
  const iso = human ? undefined : ISO.exec(value);
  const match = human ?? iso;
  if (!match) return undefined;
  const [w, d, h, m, s] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  return w! * UNITS.w! + d! * UNITS.d! + h! * UNITS.h! + m! * UNITS.m! + s! * UNITS.s!;
}

/** A duration key of the config: a string like "2h" in YAML, milliseconds once loaded. */
export const Duration = z
  .string()
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `expected a duration like "2h", "30m" or "1h30m", got "${text}"`,
      });
      return z.NEVER;
    }
    return ms;
  })
  .meta({ description: 'A duration: "90s", "30m", "2h", "1d", "1h30m", "2w" or ISO 8601 "PT2H"' });
