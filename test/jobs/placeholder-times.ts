import fc from "fast-check";

/** Every spelling of "no time" the platform may send, which the jobs must read as no date. */
export const PLACEHOLDER_TIMES = [
  "",
  "   ",
  "-",
  "--",
  "null",
  "NULL",
  "N/A",
  "n/a",
  "0000-00-00 00:00:00",
  "2026-00-00 00:00:00",
  "2026-11-00 00:00:00",
  "0000-00-00T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "0001-01-01 08:00:00",
  "0000-12-31T16:00:00-08:00",
  "1970-01-01T00:00:00Z",
  "1970-01-01T00:00:00.000Z",
  "1970-01-01 08:00:00",
  "1970-01-01 00:00:00",
  "1969-12-31T16:00:00-08:00",
] as const;

/** A placeholder time, for property tests. */
export const placeholderTime = fc.constantFrom(...PLACEHOLDER_TIMES);
