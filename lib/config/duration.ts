import * as z from "../validation";

const UNITS = [
  ["w", 604_800_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
] as const;
const HUMAN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ISO = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

/** Milliseconds a duration's text spells, unbounded (may be unsafe or Infinity); undefined when it is no duration. */
function spelledMs(text: string): number | undefined {
  const value = text.trim();
  if (value === "" || value === "P" || value === "PT" || value.endsWith("T")) return undefined;
  const match = HUMAN.exec(value) ?? ISO.exec(value);
  if (!match) return undefined;
  return UNITS.reduce((sum, [, size], i) => sum + Number(match[i + 1] ?? 0) * size, 0);
}

/**
 * Parses a duration: "90s", "30m", "2h", "1d", "1h30m", "2w", or ISO 8601 "PT2H" / "P1DT12H".
 * Returns milliseconds, or undefined for anything else (including spans too large to count exactly).
 */
export function parseDuration(text: string): number | undefined {
  const ms = spelledMs(text);
  return ms !== undefined && Number.isSafeInteger(ms) ? ms : undefined;
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

/**
 * The longest span a config duration may be: ten years is beyond any retention or age limit a
 * housekeeping policy needs, and a bound keeps every `now + duration` a real date.
 */
export const MAX_CONFIG_DURATION_MS = 3650 * 86_400_000;

/** A value as a message shows it: as JSON, cut short so a huge value never floods the output. */
export function shownValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // A YAML alias can make a value contain itself.
    text = "(a value that contains itself)";
  }
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** What is wrong with a duration's text, or undefined when it is a usable one. */
function durationProblem(text: string, positive: boolean): string | undefined {
  const ms = spelledMs(text);
  if (ms === undefined) return `expected a duration like "2h", "30m" or "1h30m", got ${shownValue(text)}`;
  if (ms > MAX_CONFIG_DURATION_MS)
    return `${shownValue(text)} is longer than 3650d (ten years), the longest allowed`;
  if (positive && ms === 0) return `${shownValue(text)} is zero; this duration must be longer than that`;
  return undefined;
}

/** A duration key of the config: a string like "2h" in YAML, milliseconds once loaded. */
function durationSchema(options: { positive: boolean }) {
  const text = z
    .string({
      error: (issue) => `expected a duration like "2h" or "30m", got ${shownValue(issue.input)}`,
    })
    .check(
      z.superRefine((value, ctx) => {
        const problem = durationProblem(value, options.positive);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    );
  // The pipe runs the transform only on text the check passed.
  return z
    .pipe(
      text,
      z.transform((value: string) => spelledMs(value)!),
    )
    .check(
      z.meta({
        description: `A duration: "90s", "30m", "2h", "1d", "1h30m", "2w" or ISO 8601 "PT2H"; at most 3650d${options.positive ? ", more than zero" : ""}`,
      }),
    );
}

/** A duration of the config that may be zero ("no grace"). */
export const Duration = durationSchema({ positive: false });

/** A duration of the config where zero would make no sense (an age, a limit, a retention). */
export const PositiveDuration = durationSchema({ positive: true });
