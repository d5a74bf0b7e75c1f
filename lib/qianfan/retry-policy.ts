import type { Outcome, QuotaExhausted } from "./errors";

/**
 * Which answers are worth another attempt. The numeric codes follow the official SDK's console
 * retry list (bce-qianfan-sdk, python/qianfan/consts.py, `DefaultValue.ConsoleRetryErrCodes`):
 * 336100 ServerHighLoad, 18 QPSLimitReached, 500000 ConsoleInternalError. On top of it: HTTP
 * 429/5xx, `RequestExpired` (the client signs each attempt anew) and network errors. The exact
 * throttling code of the console is not documented, so a string code containing "Limit" or
 * "Throttl" also counts as throttling — unless it names a used-up quota.
 */

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
/**
 * `ConsoleRetryErrCodes` of the official Python SDK. Not in it: 4 (cluster request limit), 17 and
 * 19 (used-up quotas), and 336501/336502 (the inference RPM/TPM limits, not console limits).
 */
const CONSOLE_RETRY_CODES = new Set(["336100", "18", "500000"]);
/** Error_code 18, "Open api qps request limit reached": the one numeric "too many requests per second". */
const THROTTLE_NUMERIC_CODES = new Set(["18"]);
/** Error_code 17 "Open api daily request limit reached", 19 "Open api total request limit reached". */
const QUOTA_NUMERIC_CODES: Record<string, QuotaExhausted> = { "17": "daily", "19": "total" };

/**
 * Which request quota a code says is used up, if any: 17 (daily) and 19 (total), or a string code
 * naming one ("DailyLimitReached", "TotalRequestLimitReached": the SDKs' names of 17 and 19).
 * Waiting seconds does not refill a quota, so such an answer is final for the run.
 */
export function quotaExhaustedBy(code: string): QuotaExhausted | undefined {
  if (Object.hasOwn(QUOTA_NUMERIC_CODES, code)) return QUOTA_NUMERIC_CODES[code];
  if (/daily/i.test(code) && /limit|quota/i.test(code)) return "daily";
  if (/total/i.test(code) && /limit|quota/i.test(code)) return "total";
  return undefined;
}

/** True when the platform's code means "too many requests" (the request was not processed). */
export function isThrottleCode(status: number, code: string): boolean {
  if (quotaExhaustedBy(code)) return false;
  return status === 429 || /limit|throttl/i.test(code) || THROTTLE_NUMERIC_CODES.has(code);
}

/** True when an error answer may succeed if sent again. */
export function isRetryableAnswer(status: number, code: string): boolean {
  if (quotaExhaustedBy(code)) return false;
  return (
    RETRYABLE_STATUS.has(status) ||
    code === "RequestExpired" ||
    isThrottleCode(status, code) ||
    CONSOLE_RETRY_CODES.has(code) ||
    code === "InternalError" ||
    code === "ServiceUnavailable"
  );
}

/**
 * What an error answer says about the request's effect. Throttling, a used-up quota and
 * authentication failures are refusals before any work; a server error (5xx or an internal-error
 * code) may come after the work was done; any other 4xx is a validation refusal.
 */
export function outcomeOfAnswer(status: number, code: string): Outcome {
  if (quotaExhaustedBy(code) || isThrottleCode(status, code)) return "not-applied";
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
