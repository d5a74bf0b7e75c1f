import type { Outcome } from "./errors";

/**
 * Which answers are worth another attempt, per the reference's "Transport" section. The exact
 * throttling code of the console is not confirmed, so throttling is recognised broadly: HTTP 429,
 * any code containing "Limit" or "Throttl", and the old numeric QPS/overload codes.
 */

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NUMERIC_CODES = new Set(["4", "17", "18", "19", "336100", "336501", "336502", "500000"]);
const THROTTLE_NUMERIC_CODES = new Set(["4", "17", "18", "19", "336501", "336502"]);

/** True when the platform's code means "too many requests" (the request was not processed). */
export function isThrottleCode(status: number, code: string): boolean {
  return status === 429 || /limit|throttl/i.test(code) || THROTTLE_NUMERIC_CODES.has(code);
}

/** True when an error answer may succeed if sent again. */
export function isRetryableAnswer(status: number, code: string): boolean {
  return (
    RETRYABLE_STATUS.has(status) ||
    code === "RequestExpired" ||
    isThrottleCode(status, code) ||
    RETRYABLE_NUMERIC_CODES.has(code) ||
    code === "InternalError" ||
    code === "ServiceUnavailable"
  );
}

/**
 * What an error answer says about the request's effect. Throttling and authentication failures
 * are refusals before any work; a server error (5xx or an internal-error code) may come after the
 * work was done; any other 4xx is a validation refusal.
 */
export function outcomeOfAnswer(status: number, code: string): Outcome {
  if (isThrottleCode(status, code)) return "not-applied";
  if (status >= 500 || code === "InternalError" || code === "500000" || code === "336100") return "unknown";
  return "not-applied";
}

/** Network error codes that prove the request never reached the server. */
const NEVER_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** Network error codes after which sending again cannot help: the host name does not exist. */
const HOPELESS_NETWORK_CODES = new Set(["ENOTFOUND"]);

/**
 * True when a network failure may pass on another attempt. `ENOTFOUND` is a wrong or deleted host
 * name (a minute of retries only hides the typo); `EAI_AGAIN` is a resolver hiccup and may pass.
 */
export function isRetryableNetworkError(code: string): boolean {
  return !HOPELESS_NETWORK_CODES.has(code);
}

/**
 * The wait after failed attempt `failedAttempt` (1 for the first): `minDelayMs` doubled per
 * attempt, with jitter ×1–2 so many clients do not retry in step, and never more than `maxDelayMs`.
 */
export function backoffMs(
  failedAttempt: number,
  options: { minDelayMs: number; maxDelayMs: number },
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(0, failedAttempt - 1), 52);
  const delay = Math.round(options.minDelayMs * 2 ** exponent * (1 + random()));
  return Math.min(delay, options.maxDelayMs);
}

/** What a network failure says about the request's effect. */
export function outcomeOfNetworkError(code: string): Outcome {
  return NEVER_SENT_CODES.has(code) ? "not-applied" : "unknown";
}

/** Parses a `Retry-After` header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
