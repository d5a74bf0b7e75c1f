import { randomUUID } from "node:crypto";
import pLimit, { type LimitFunction } from "p-limit";
import pRetry from "p-retry";
import type { z } from "zod";
import { ACTIONS, type ActionName } from "./actions";
import type { CredentialsProvider } from "./credentials";
import { QianfanApiError, QianfanError, QianfanNetworkError, QianfanResponseError } from "./errors";
import { Pacer } from "./pacer";
import {
  isRetryableAnswer,
  isThrottleCode,
  outcomeOfAnswer,
  outcomeOfNetworkError,
  parseRetryAfter,
} from "./retry-policy";
import { signRequest } from "./signer";

/** The official SDKs' default endpoint. */
export const DEFAULT_BASE_URL = "https://qianfan.baidubce.com";

export interface RetryOptions {
  /** Attempts after the first; throttling answers do not use them up (they are bounded by time). */
  retries: number;
  /** First backoff delay; doubled each attempt, with jitter (×1–2). */
  minDelayMs: number;
  maxDelayMs: number;
  /** Give up once this much time has gone by since the first attempt. */
  maxRetryTimeMs: number;
}

export interface PacingOptions {
  /** Requests started per second, across all calls of this client (retries included). */
  requestsPerSecond: number;
  /** Requests in flight at once. */
  concurrency: number;
}

/** One observable step of a call, for logs and metrics. Never carries headers or keys. */
export type ClientEvent =
  | { type: "response"; action: string; attempt: number; status: number; requestId?: string; ms: number }
  | { type: "failure"; action: string; attempt: number; error: QianfanError; willRetry: boolean };

export interface QianfanClientOptions {
  credentials: CredentialsProvider;
  baseUrl?: string;
  /** Per-attempt timeout; the official JS SDK waits 600 s, far too long for a scheduled job. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  pacing?: Partial<PacingOptions>;
  /** Signature lifetime, seconds. */
  expirationSeconds?: number;
  fetch?: typeof globalThis.fetch;
  /** The signing clock; real time unless a test needs otherwise. */
  now?: () => Date;
  onEvent?: (event: ClientEvent) => void;
}

/** How a call may be retried. */
export type RetryMode =
  /** Retry every retryable failure: safe for reads and for idempotent changes. */
  | "all"
  /** Retry only failures that prove the request was not applied: for purchases. */
  | "not-applied-only"
  | "none";

export interface CallOptions {
  retry?: RetryMode;
  signal?: AbortSignal;
}

export interface CallResult<T> {
  result: T;
  requestId: string | undefined;
  attempts: number;
}

export const DEFAULT_RETRY: RetryOptions = {
  retries: 6,
  minDelayMs: 200,
  maxDelayMs: 10_000,
  maxRetryTimeMs: 60_000,
};
export const DEFAULT_PACING: PacingOptions = { requestsPerSecond: 20, concurrency: 8 };
const DEFAULT_TIMEOUT_MS = 15_000;

/** Codes after which rotated credentials are worth fetching once. */
const STALE_KEY_CODES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch"]);

/**
 * The one signed client of the Qianfan console API: bce-auth-v1, JSON in and out, a timeout per
 * attempt, paced and bounded concurrency shared by all calls, and retries with backoff and jitter
 * that honour `Retry-After`.
 */
export class QianfanClient {
  readonly baseUrl: URL;
  readonly retryOptions: RetryOptions;
  readonly pacing: PacingOptions;
  readonly #credentials: CredentialsProvider;
  readonly #timeoutMs: number;
  readonly #expirationSeconds: number | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => Date;
  readonly #onEvent: ((event: ClientEvent) => void) | undefined;
  readonly #limit: LimitFunction;
  readonly #pacer: Pacer;

  constructor(options: QianfanClientOptions) {
    this.baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    this.retryOptions = { ...DEFAULT_RETRY, ...options.retry };
    this.pacing = { ...DEFAULT_PACING, ...options.pacing };
    this.#credentials = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#expirationSeconds = options.expirationSeconds;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? (() => new Date());
    this.#onEvent = options.onEvent;
    this.#limit = pLimit(this.pacing.concurrency);
    this.#pacer = new Pacer(this.pacing.requestsPerSecond);
  }

  /**
   * Calls one console action and validates its `result` with `schema`. Error bodies are errors
   * whatever the HTTP status; retryable failures are retried as `options.retry` allows.
   */
  async call<S extends z.ZodType>(
    action: ActionName,
    body: Record<string, unknown>,
    schema: S,
    options: CallOptions = {},
  ): Promise<CallResult<z.infer<S>>> {
    const mode = options.retry ?? "all";
    let attempts = 0;
    let refreshedKeys = false;
    const run = async (): Promise<CallResult<z.infer<S>>> => {
      attempts += 1;
      try {
        const { result, requestId } = await this.#attempt(action, body, attempts, options.signal);
        return { result: parseResult(action, schema, result, requestId), requestId, attempts };
      } catch (error) {
        if (
          !refreshedKeys &&
          error instanceof QianfanApiError &&
          STALE_KEY_CODES.has(error.code) &&
          this.#credentials.refresh
        ) {
          refreshedKeys = true;
          await this.#credentials.refresh();
          const { result, requestId } = await this.#attempt(action, body, attempts, options.signal);
          return { result: parseResult(action, schema, result, requestId), requestId, attempts };
        }
        throw error;
      }
    };
    if (mode === "none") return run();
    const { retries, minDelayMs, maxDelayMs, maxRetryTimeMs } = this.retryOptions;
    return pRetry(run, {
      retries,
      factor: 2,
      minTimeout: minDelayMs,
      maxTimeout: maxDelayMs,
      randomize: true,
      maxRetryTime: maxRetryTimeMs,
      signal: options.signal,
      shouldConsumeRetry: ({ error }) =>
        !(error instanceof QianfanApiError && isThrottleCode(error.status, error.code)),
      shouldRetry: ({ error }) => isWorthRetrying(error, mode),
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        if (error instanceof QianfanApiError && error.retryAfterMs !== undefined) {
          this.#pacer.pause(error.retryAfterMs);
        }
        if (error instanceof QianfanError) {
          this.#onEvent?.({
            type: "failure",
            action,
            attempt: attemptNumber,
            error,
            willRetry: retriesLeft > 0 && isWorthRetrying(error, mode),
          });
        }
      },
    });
  }

  /** One signed HTTP exchange, paced and bounded; throws a QianfanError for anything but a result. */
  async #attempt(
    action: ActionName,
    body: Record<string, unknown>,
    attempt: number,
    signal: AbortSignal | undefined,
  ): Promise<{ result: unknown; requestId: string | undefined }> {
    return this.#limit(async () => {
      await this.#pacer.take(signal);
      const started = performance.now();
      const url = new URL(this.baseUrl.pathname.replace(/\/+$/, "") + ACTIONS[action].route, this.baseUrl);
      url.searchParams.set("Action", action);
      const payload = JSON.stringify(body);
      const credentials = await this.#credentials.get();
      const date = this.#now();
      const headers: Record<string, string> = {
        host: url.host,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(payload)),
        "x-bce-date": date.toISOString().replace(/\.\d{3}Z$/, "Z"),
        "x-bce-request-id": randomUUID(),
      };
      const { authorization } = signRequest({
        accessKeyId: credentials.accessKeyId,
        secretAccessKey: credentials.secretAccessKey,
        method: "POST",
        path: url.pathname,
        query: { Action: action },
        headers,
        timestamp: date,
        expirationSeconds: this.#expirationSeconds,
      });
      const timeout = AbortSignal.timeout(this.#timeoutMs);
      let response: Response;
      let text: string;
      try {
        response = await this.#fetch(url, {
          method: "POST",
          headers: { ...withoutHost(headers), authorization },
          body: payload,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        text = await response.text();
      } catch (error) {
        throw toNetworkError(action, error, timeout.aborted, this.#timeoutMs);
      }
      const ms = Math.round(performance.now() - started);
      const outcome = interpretAnswer(action, response, text);
      this.#onEvent?.({
        type: "response",
        action,
        attempt,
        status: response.status,
        requestId: outcome.requestId,
        ms,
      });
      if (outcome.error) throw outcome.error;
      return { result: outcome.result, requestId: outcome.requestId };
    });
  }
}

function withoutHost(headers: Record<string, string>): Record<string, string> {
  // fetch sets Host (with the port) and Content-Length (the body's UTF-8 length) itself, to the
  // values signed here; some undici versions refuse either one set by hand.
  const { host: _host, "content-length": _length, ...rest } = headers;
  return rest;
}

function isWorthRetrying(error: unknown, mode: RetryMode): boolean {
  if (!(error instanceof QianfanError) || !error.retryable) return false;
  return mode === "all" || error.outcome === "not-applied";
}

function toNetworkError(action: string, error: unknown, timedOut: boolean, timeoutMs: number): QianfanError {
  if (timedOut) {
    return new QianfanNetworkError({
      action,
      code: "TIMEOUT",
      detail: `no answer within ${timeoutMs} ms`,
      outcome: "unknown",
    });
  }
  if (error instanceof Error && error.name === "AbortError") {
    return new QianfanNetworkError({
      action,
      code: "ABORTED",
      detail: "the call was cancelled",
      outcome: "unknown",
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code ?? "NETWORK";
  const detail = cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new QianfanNetworkError({ action, code, detail, outcome: outcomeOfNetworkError(code) });
}

interface Interpreted {
  result?: unknown;
  requestId: string | undefined;
  error?: QianfanError;
}

/**
 * Reads an answer: any `{code,message}` or `{error_code,error_msg}` body is an error whatever the
 * HTTP status (the official JS SDK resolves some as success), and so is a non-2xx status.
 */
function interpretAnswer(action: string, response: Response, text: string): Interpreted {
  const headerRequestId = response.headers.get("x-bce-request-id") ?? undefined;
  let body: unknown;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  const record = body !== null && typeof body === "object" ? (body as Record<string, unknown>) : undefined;
  const requestId = typeof record?.requestId === "string" ? record.requestId : headerRequestId;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
  const errorCode = record?.code ?? record?.error_code;
  if (record && errorCode !== undefined && errorCode !== null && errorCode !== 0 && errorCode !== "") {
    const code = String(errorCode);
    const message = String(record.message ?? record.error_msg ?? "");
    return { requestId, error: apiError(action, response.status, code, message, requestId, retryAfterMs) };
  }
  if (!response.ok) {
    const code = `HTTP${response.status}`;
    const message = text.slice(0, 200) || response.statusText;
    return { requestId, error: apiError(action, response.status, code, message, requestId, retryAfterMs) };
  }
  if (!record || !("result" in record)) {
    return {
      requestId,
      error: new QianfanResponseError({
        action,
        requestId,
        fields: ["result"],
        detail: record ? "the answer has no 'result' field" : "the answer is not a JSON object",
      }),
    };
  }
  return { result: record.result, requestId };
}

function apiError(
  action: string,
  status: number,
  code: string,
  message: string,
  requestId: string | undefined,
  retryAfterMs: number | undefined,
): QianfanApiError {
  return new QianfanApiError({
    action,
    status,
    code,
    message,
    requestId,
    retryable: isRetryableAnswer(status, code),
    outcome: outcomeOfAnswer(status, code),
    retryAfterMs,
  });
}

function parseResult<S extends z.ZodType>(
  action: string,
  schema: S,
  result: unknown,
  requestId: string | undefined,
): z.infer<S> {
  const parsed = schema.safeParse(result);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5);
  const fields = issues.map((issue) => ["result", ...issue.path.map(String)].join("."));
  const detail = issues.map((issue, i) => `${fields[i]}: ${issue.message}`).join("; ");
  throw new QianfanResponseError({ action, requestId, fields, detail });
}
