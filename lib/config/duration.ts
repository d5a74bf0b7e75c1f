import { z } from "zod";

const UNITS = [
  ["w", 604_800_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
] as const;
const HUMAN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/**
 * Parses a duration: "90s", "30m", "2h", "1d", "1h30m", "2w", or ISO 8601 "PT2H" / "P1DT12H".
 * Returns milliseconds, or undefined for anything else (including spans too large to count exactly).
 */
export function parseDuration(text: string): number | undefined {
  const value = text.trim();
  if (value === "" || value === "P" || value === "PT" || value.endsWith("T")) return undefined;
  const match = HUMAN.exec(value) ?? ISO.exec(value);
  if (!match) return undefined;
  const ms = UNITS.reduce((sum, [, size], i) => sum + Number(match[i + 1] ?? 0) * size, 0);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Writes milliseconds the way the config spells them, exactly: 8_100_000 → "2h15m", 0 → "0s".
 * Non-negative whole seconds round-trip through {@link parseDuration}; fractions of a second are
 * rounded. For a span shown to people (two units, rounded) use `formatSpan` in lib/text.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a finite duration: ${ms}`);
  const sign = ms < 0 ? "-" : "";
  let rest = Math.round(Math.abs(ms) / 1000) * 1000;
  let text = "";
  for (const [unit, size] of UNITS) {
    const count = Math.floor(rest / size);
    rest -= count * size;
    if (count > 0) text += `${count}${unit}`;
  }
  return `${sign}${text || "0s"}`;
}

/** A duration key of the config: a string like "2h" in YAML, milliseconds once loaded. */
export const Duration = z
  .string({ error: (issue) => `expected a duration like "2h" or "30m", got ${JSON.stringify(issue.input)}` })
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
