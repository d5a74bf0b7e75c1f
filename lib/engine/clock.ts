/** A source of the current instant: the wall clock, a fixed one in tests, a simulated one in rehearsals. */
export type Clock = () => Date;

/** The machine's clock. */
export const systemClock: Clock = () => new Date();

/**
 * How far the evaluation instant may be from the clock and still count as "now": a run as of
 * another moment than this is a what-if, which never acts and never writes.
 */
export const WHAT_IF_TOLERANCE_MS = 60_000;

/** True when `now` is more than {@link WHAT_IF_TOLERANCE_MS} away from `clock`. */
export function isWhatIf(now: Date, clock: Clock): boolean {
  return Math.abs(now.getTime() - clock().getTime()) > WHAT_IF_TOLERANCE_MS;
}

/**
 * A clock that reads `start` at once and then moves with real time: the clock of a rehearsal
 * (`--simulate`), so a simulated run's locks, snoozes and audit agree with its evaluation instant.
 */
export function simulatedClock(start: Date, real: () => number = Date.now): Clock {
  const offset = start.getTime() - real();
  return () => new Date(real() + offset);
}

/** The milliseconds form of a clock, as the state stores take it. */
export function millisecondsOf(clock: Clock): () => number {
  return () => clock().getTime();
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * Parses an ISO 8601 instant with a zone (`2026-11-23T14:00:00+08:00`, `2026-11-23T06:00Z`), and
 * only a real one: `2026-02-30T…`, hour 24 or an offset past ±18:00 are refused, never rolled over
 * into another day. Returns undefined for anything else.
 */
export function parseInstant(text: string): Date | undefined {
  const m = INSTANT.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(
    Number,
  ) as [number, number, number, number, number, number];
  const fraction = Number(`0.${m[7] ?? "0"}`) * 1000;
  const offsetMinutes =
    m[8]!.toUpperCase() === "Z" ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (Math.abs(offsetMinutes) > 18 * 60 || Number(m[11] ?? 0) >= 60) return undefined;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  const check = new Date(local);
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return undefined;
  const date = new Date(local - offsetMinutes * 60_000);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
