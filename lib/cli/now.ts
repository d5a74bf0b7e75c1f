import { type Clock, parseInstant } from "../engine/clock";
import { UsageError } from "./io";

/** Reads `--now`: a real ISO instant with a zone; the clock when absent. */
export function parseNow(value: string | undefined, clock: Clock): Date {
  if (value === undefined) return clock();
  const date = parseInstant(value);
  if (!date) {
    throw new UsageError(
      `--now must be a real ISO time with a zone, such as 2026-11-23T14:00:00+08:00, got '${value}'`,
    );
  }
  return date;
}
