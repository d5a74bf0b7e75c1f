import { randomUUID } from "node:crypto";
import pRetry from "p-retry";
import type * as z from "../validation";
import { ACTIONS, type ActionName } from "./actions";
import type { CredentialsProvider } from "./credentials";
import {
  type Outcome,
  QianfanApiError,
  QianfanError,
  QianfanNetworkError,
  QianfanResponseError,
} from "./errors";
import { ConcurrencyGate, DEFAULT_PACING as PACING_DEFAULTS, Pacer, type PacerTicket, sleep } from "./pacer";
import {
  backoffMs,
  isRetryableAnswer,
  isRetryableNetworkError,
  isThrottleCode,
  outcomeOfAnswer,
  outcomeOfNetworkError,
  parseRetryAfter,
  quotaExhaustedBy,
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
  /** Give up once this much time has gone by since the call began; no wait reaches past it. */
  maxRetryTimeMs: number;
}

export interface PacingOptions {
  /**
   * The ceiling of requests started per second, across all calls of this client (retries
   * included). The rate itself adapts below it: it starts at `startRequestsPerSecond`, climbs
   * while answers are clean and is halved on throttling ({@link Pacer}).
   */
  requestsPerSecond: number;
  /** The ceiling of requests in flight at once. */
  concurrency: number;
  /** Where the rate starts (never above the ceiling). */
  startRequestsPerSecond: number;
  /** False: a fixed rate of `requestsPerSecond`, whatever the platform answers (Retry-After still holds). */
  adaptive: boolean;
}

/** One observable step of a call, for logs and metrics. Never carries headers or keys. */
export type ClientEvent =
  | {
      type: "response";
      action: string;
      attempt: number;
      status: number;
      requestId?: string;
      ms: number;
      /** The answer's `Date` header (the platform's clock, to the second), when it sent one. */
      serverDate?: string;
      /** The local clock when the request was signed (ms since the epoch). */
      signedAtMs: number;
    }
  | {
      type: "failure";
      action: string;
      attempt: number;
      error: QianfanError;
      willRetry: boolean;
      /** The wait before the next attempt, when there is one. */
      retryInMs?: number;
    };

export interface QianfanClientOptions {
  credentials: CredentialsProvider;
  baseUrl?: string;
  /** Per-attempt timeout; the official JS SDK waits 600 s, far too long for a scheduled job. */
  timeoutMs?: number;
  retry?: Partial<RetryOptions>;
  pacing?: Partial<PacingOptions>;
  /** Largest answer read, in bytes (default 32 MiB); a larger one fails the call, unread. */
  maxResponseBytes?: number;
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

/** What bounds a call from outside: cancellation and the caller's deadline. */
export interface CallDefaults {
  /** Cancels the call: the request in flight and any wait. */
  signal?: AbortSignal;
  /**
   * Milliseconds left before the caller's deadline (e.g. a Lambda's remaining time). No attempt and
   * no wait starts that cannot end before it; an attempt's timeout is cut to what is left.
   */
  remainingMs?: () => number;
}

export interface CallOptions extends CallDefaults {
  retry?: RetryMode;
  /**
   * Served before the calls waiting without it, for a place in flight and a turn of the rate: the
   * next page of a listing, which its job waits for page by page, not the actions queued beside it.
   */
  urgent?: boolean;
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
export const DEFAULT_PACING: PacingOptions = { ...PACING_DEFAULTS, adaptive: true };
/** The longest one `Retry-After` holds every call of the client back; the throttled call itself may wait longer. */
const MAX_SHARED_PAUSE_MS = 10_000;
/** The answer size cap: listings of thousands of units are a few MiB; more is not an answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;
/**
 * The least time an attempt is started with: a request cut off after a few milliseconds is more
 * likely to leave an unknown outcome behind than to bring an answer.
 */
const MIN_ATTEMPT_MS = 1000;

/** Codes after which rotated credentials are worth fetching once. */
const STALE_KEY_CODES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch"]);

/**
 * The one signed client of the Qianfan console API: bce-auth-v1, JSON in and out, a timeout per
 * attempt, paced and bounded concurrency shared by all calls, and retries with backoff and jitter
 * that honour `Retry-After` — within the call's retry budget and the caller's deadline.
 */
export class QianfanClient {
  readonly baseUrl: URL;
  readonly retryOptions: RetryOptions;
  readonly pacing: PacingOptions;
  readonly maxResponseBytes: number;
  readonly #credentials: CredentialsProvider;
  readonly #timeoutMs: number;
  readonly #expirationSeconds: number | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #now: () => Date;
  readonly #onEvent: ((event: ClientEvent) => void) | undefined;
  readonly #gate: ConcurrencyGate;
  readonly #pacer: Pacer;

  constructor(options: QianfanClientOptions) {
    this.baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL);
    this.retryOptions = { ...DEFAULT_RETRY, ...options.retry };
    this.pacing = { ...DEFAULT_PACING, ...definedOnly(options.pacing ?? {}) };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    if (!(this.maxResponseBytes > 0)) throw new RangeError("maxResponseBytes must be positive");
    this.#credentials = options.credentials;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#expirationSeconds = options.expirationSeconds;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#now = options.now ?? (() => new Date());
    this.#onEvent = options.onEvent;
    this.#gate = new ConcurrencyGate(this.pacing.concurrency);
    // A Retry-After longer than any call may wait would only stall the calls that cannot use it.
    this.#pacer = new Pacer(this.pacing.requestsPerSecond, {
      startPerSecond: this.pacing.adaptive ? this.pacing.startRequestsPerSecond : undefined,
      adaptive: this.pacing.adaptive,
      maxPauseMs: Math.min(MAX_SHARED_PAUSE_MS, this.retryOptions.maxRetryTimeMs),
    });
  }

  /** The rate requests start at now (adaptive, never above `pacing.requestsPerSecond`). */
  get currentRequestsPerSecond(): number {
    return this.#pacer.ratePerSecond;
  }

  /**
   * The longest one call can take once its turn among this client's calls has come: every retry
   * starts within `maxRetryTimeMs` and the last attempt may use its whole timeout (one more attempt
   * when rotated keys are fetched). Throttling answers are retried by time, not by count, so the
   * attempt count bounds nothing unless retries are off. The job runner starts no action with less
   * time left than this.
   */
  worstCaseCallMs(): number {
    const attempt = this.#timeoutMs;
    const keyRefresh = this.#credentials.refresh ? attempt : 0;
    if (this.retryOptions.retries === 0) return attempt + keyRefresh;
    return this.retryOptions.maxRetryTimeMs + attempt + keyRefresh;
  }

  /** The access key id requests are signed with (for display; the secret is never exposed). */
  async accessKeyId(): Promise<string> {
    return (await this.#credentials.get()).accessKeyId;
  }

  /**
   * Calls one console action and validates its `result` with `schema`. Error bodies are errors
   * whatever the HTTP status; retryable failures are retried as `options.retry` allows.
   */
  async call<S extends z.ZodMiniType>(
    action: ActionName,
    body: Record<string, unknown>,
    schema: S,
    options: CallOptions = {},
  ): Promise<CallResult<z.infer<S>>> {
    const mode = options.retry ?? "all";
    const { retries, maxRetryTimeMs } = this.retryOptions;
    const budget = new CallBudget(
      action,
      maxRetryTimeMs,
      options.remainingMs,
      Math.min(this.#timeoutMs, MIN_ATTEMPT_MS),
    );
    let attempts = 0;
    let refreshedKeys = false;
    const send = async (): Promise<CallResult<z.infer<S>>> => {
      const { result, requestId } = await this.#attempt(action, body, attempts, options, budget);
      return { result: parseResult(action, schema, result, requestId), requestId, attempts };
    };
    const run = async (): Promise<CallResult<z.infer<S>>> => {
      attempts += 1;
      try {
        return await send();
      } catch (error) {
        if (
          !refreshedKeys &&
          error instanceof QianfanApiError &&
          STALE_KEY_CODES.has(error.code) &&
          this.#credentials.refresh
        ) {
          refreshedKeys = true;
          await this.#credentials.refresh();
          return await send();
        }
        throw error;
      }
    };
    try {
      if (mode === "none") return await run();
      return await pRetry(run, {
        retries,
        // The waits are chosen in onFailedAttempt, which p-retry awaits: p-retry's own delay is
        // skipped for retries that do not use up an attempt (throttling), and it knows neither
        // Retry-After nor the caller's deadline.
        minTimeout: 0,
        maxTimeout: 0,
        maxRetryTime: maxRetryTimeMs,
        signal: options.signal,
        shouldConsumeRetry: ({ error }) => !isThrottling(error),
        shouldRetry: ({ error }) => isWorthRetrying(error, mode),
        // Every decision to stop is taken here and thrown from here, so that p-retry's own checks
        // (measured from a slightly different start) never add an attempt without a wait.
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!(error instanceof QianfanError) || budget.isFinal(error)) throw error;
          budget.failed(error);
          const failure = { type: "failure", action, attempt: attemptNumber, error } as const;
          if (!(retriesLeft > 0 && isWorthRetrying(error, mode) && budget.retryLeftMs() > 0)) {
            this.#onEvent?.({ ...failure, willRetry: false });
            throw error;
          }
          const retryAfterMs = error instanceof QianfanApiError ? (error.retryAfterMs ?? 0) : 0;
          const waitMs = Math.max(backoffMs(attemptNumber, this.retryOptions), retryAfterMs);
          const limit = budget.waitLimit(true);
          if (waitMs > limit.ms) {
            this.#onEvent?.({ ...failure, willRetry: false });
            throw budget.refusal(waitMs, limit, retryAfterMs >= waitMs ? "retry-after" : "backoff");
          }
          this.#onEvent?.({ ...failure, willRetry: true, retryInMs: waitMs });
          if (retryAfterMs > 0) this.#pacer.pause(retryAfterMs);
          await sleep(waitMs, options.signal);
        },
      });
    } catch (error) {
      throw abortedAsNetworkError(action, error, options.signal, budget.outcome);
    }
  }

  /** One signed HTTP exchange, paced and bounded; throws a QianfanError for anything but a result. */
  async #attempt(
    action: ActionName,
    body: Record<string, unknown>,
    attempt: number,
    { signal, urgent = false }: CallOptions,
    budget: CallBudget,
  ): Promise<{ result: unknown; requestId: string | undefined }> {
    return this.#gate.run(async () => {
      if (signal?.aborted) throw cancelled(action, budget.outcome);
      budget.checkAttempt();
      const pacingMs = this.#pacer.waitMs(urgent);
      if (pacingMs > 0) {
        // The first attempt is not held to the retry budget: it has not been tried at all yet.
        const limit = budget.waitLimit(attempt > 1);
        if (pacingMs > limit.ms) throw budget.refusal(pacingMs, limit, "pacing");
      }
      const ticket: PacerTicket = await this.#pacer.take(signal, urgent).catch(() => {
        throw cancelled(action, budget.outcome);
      });
      const timeoutMs = budget.checkAttempt(this.#timeoutMs);
      const started = performance.now();
      const url = new URL(this.baseUrl.pathname.replace(/\/+$/, "") + ACTIONS[action].route, this.baseUrl);
      url.searchParams.set("Action", ACTIONS[action].action);
      const payload = JSON.stringify(body);
      const credentials = await withTimeout(
        this.#credentials.get(),
        timeoutMs,
        () =>
          new QianfanNetworkError({
            action,
            code: "CREDENTIALS_TIMEOUT",
            detail: `the access keys could not be read within ${timeoutMs} ms`,
            outcome: "not-applied",
          }),
      );
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
        query: { Action: ACTIONS[action].action },
        headers,
        timestamp: date,
        expirationSeconds: this.#expirationSeconds,
      });
      const timeout = AbortSignal.timeout(timeoutMs);
      const attemptSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const cutByDeadline = timeoutMs < this.#timeoutMs;
      const failed = (error: unknown) =>
        signal?.aborted && !timeout.aborted
          ? cancelled(action, "unknown")
          : toNetworkError(action, url.hostname, error, timeout.aborted, timeoutMs, cutByDeadline);
      let response: Response;
      try {
        response = await this.#fetch(url, {
          method: "POST",
          headers: { ...withoutHost(headers), authorization },
          body: payload,
          signal: attemptSignal,
          // A console API answers where it is asked; a redirect (a proxy, an http:// base URL) is
          // refused, never followed with the signed request. (Nor is the request then copied in
          // case one came.)
          redirect: "error",
        });
      } catch (error) {
        throw failed(error);
      }
      let text: string;
      try {
        text = await readBody(action, response, this.maxResponseBytes, attemptSignal);
      } catch (error) {
        if (error instanceof QianfanError) throw error;
        throw failed(error);
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
        serverDate: response.headers.get("date") ?? undefined,
        signedAtMs: date.getTime(),
      });
      if (outcome.error instanceof QianfanApiError && isThrottling(outcome.error)) {
        this.#pacer.throttled(ticket);
      } else if (!outcome.error) {
        this.#pacer.answered(ticket);
      }
      if (outcome.error) throw outcome.error;
      return { result: outcome.result, requestId: outcome.requestId };
    }, urgent);
  }
}

/**
 * What one call may still spend — its retry budget (`maxRetryTimeMs` since it began) and the
 * caller's deadline — and the error that ends it when a wait or an attempt would not fit.
 */
class CallBudget {
  readonly #action: string;
  readonly #started = performance.now();
  readonly #maxRetryTimeMs: number;
  readonly #remainingMs: (() => number) | undefined;
  /** The time an attempt needs at least before the deadline. */
  readonly #attemptFloorMs: number;
  /** Errors that end the call: never retried, even when they repeat a retryable answer. */
  readonly #final = new WeakSet<object>();
  #last: QianfanError | undefined;
  #outcome: Outcome = "not-applied";
  #failures = 0;

  constructor(
    action: string,
    maxRetryTimeMs: number,
    remainingMs: (() => number) | undefined,
    attemptFloorMs: number,
  ) {
    this.#action = action;
    this.#maxRetryTimeMs = maxRetryTimeMs;
    this.#remainingMs = remainingMs;
    this.#attemptFloorMs = attemptFloorMs;
  }

  /** Records a failed attempt: its error is the call's last, and an unknown outcome stays unknown. */
  failed(error: QianfanError): void {
    this.#last = error;
    this.#failures += 1;
    if (error.outcome === "unknown") this.#outcome = "unknown";
  }

  /** What the failed attempts so far say about the call's effect. */
  get outcome(): Outcome {
    return this.#outcome;
  }

  isFinal(error: unknown): boolean {
    return typeof error === "object" && error !== null && this.#final.has(error);
  }

  retryLeftMs(): number {
    return this.#maxRetryTimeMs - (performance.now() - this.#started);
  }

  deadlineLeftMs(): number {
    const left = this.#remainingMs?.();
    return left === undefined || Number.isNaN(left) ? Number.POSITIVE_INFINITY : left;
  }

  /** How long a wait before an attempt may be, and what bounds it. */
  waitLimit(retrying: boolean): { ms: number; by: "retry budget" | "deadline" } {
    const deadline = this.deadlineLeftMs() - this.#attemptFloorMs;
    const retry = retrying ? this.retryLeftMs() : Number.POSITIVE_INFINITY;
    return retry <= deadline ? { ms: retry, by: "retry budget" } : { ms: deadline, by: "deadline" };
  }

  /** Throws DEADLINE when no attempt fits before the deadline; else the attempt's timeout. */
  checkAttempt(timeoutMs = this.#attemptFloorMs): number {
    const left = this.deadlineLeftMs();
    if (left < this.#attemptFloorMs) {
      throw this.#finalize(
        this.#deadlineError(
          `${Math.max(0, Math.floor(left))} ms left before the caller's deadline, less than the ${this.#attemptFloorMs} ms an attempt needs; not sent`,
        ),
      );
    }
    return Math.floor(Math.min(timeoutMs, left));
  }

  /**
   * The error that ends the call instead of a wait of `waitMs` that does not fit `limit`: the
   * platform's throttle code when it was throttling, DEADLINE when the deadline is in the way,
   * else the last failure itself.
   */
  refusal(
    waitMs: number,
    limit: { ms: number; by: "retry budget" | "deadline" },
    why: "retry-after" | "backoff" | "pacing",
  ): QianfanError {
    const last = this.#last;
    const left =
      limit.by === "deadline"
        ? `the ${seconds(limit.ms)} left before the caller's deadline`
        : `the ${seconds(limit.ms)} left of the call's retry budget`;
    const wait =
      why === "retry-after"
        ? `the platform asked to wait ${seconds(waitMs)}`
        : why === "pacing"
          ? `the client holds requests back for ${seconds(waitMs)} (pacing and the platform's Retry-After)`
          : `still throttled after ${this.#failures} attempts, the next would wait ${seconds(waitMs)}`;
    if (last instanceof QianfanApiError && isThrottleCode(last.status, last.code)) {
      const said =
        last.platformMessage && last.platformMessage !== last.code ? ` (${last.platformMessage})` : "";
      return this.#finalize(
        new QianfanApiError({
          action: this.#action,
          status: last.status,
          code: last.code,
          message: `${wait}, more than ${left}${said}`,
          requestId: last.requestId,
          retryable: false,
          outcome: this.#outcome,
          retryAfterMs: last.retryAfterMs,
          cause: last,
        }),
      );
    }
    if (limit.by === "deadline" || !last) {
      const after =
        why === "pacing"
          ? `the next request could start only in ${seconds(waitMs)}`
          : `the next attempt would wait ${seconds(waitMs)}`;
      return this.#finalize(this.#deadlineError(`${after}, more than ${left}`));
    }
    return this.#finalize(last);
  }

  #deadlineError(detail: string): QianfanNetworkError {
    const last = this.#last;
    const previous = last ? `; last failure: ${describeFailure(last)}` : "";
    return new QianfanNetworkError({
      action: this.#action,
      code: "DEADLINE",
      detail: `${detail}${previous}`,
      outcome: this.#outcome,
      retryable: false,
      requestId: last?.requestId,
      cause: last,
    });
  }

  #finalize<E extends QianfanError>(error: E): E {
    this.#final.add(error);
    return error;
  }
}

/** The fields that are set: an option given as undefined keeps its default. */
function definedOnly<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function describeFailure(error: QianfanError): string {
  const code = (error as { code?: unknown }).code;
  const id = error.requestId ? `, requestId ${error.requestId}` : "";
  return `${typeof code === "string" ? code : error.name}${id}`;
}

function seconds(ms: number): string {
  return `${Number((Math.max(0, ms) / 1000).toFixed(1))} s`;
}

function withoutHost(headers: Record<string, string>): Record<string, string> {
  // fetch sets Host (with the port) and Content-Length (the body's UTF-8 length) itself, to the
  // values signed here; some undici versions refuse either one set by hand.
  const { host: _host, "content-length": _length, ...rest } = headers;
  return rest;
}

function isThrottling(error: unknown): boolean {
  return error instanceof QianfanApiError && isThrottleCode(error.status, error.code);
}

function isWorthRetrying(error: unknown, mode: RetryMode): boolean {
  if (!(error instanceof QianfanError) || !error.retryable) return false;
  return mode === "all" || error.outcome === "not-applied";
}

/** A cancelled call; `outcome` is "unknown" only when a request was in flight or had been before. */
function cancelled(action: string, outcome: Outcome): QianfanNetworkError {
  return new QianfanNetworkError({
    action,
    code: "ABORTED",
    detail: "the call was cancelled",
    outcome,
    retryable: false,
  });
}

/** A cancellation that surfaced as the signal's own reason (between attempts) becomes ABORTED. */
function abortedAsNetworkError(
  action: string,
  error: unknown,
  signal: AbortSignal | undefined,
  outcome: Outcome,
): unknown {
  if (error instanceof QianfanError || !signal?.aborted) return error;
  return cancelled(action, outcome);
}

function toNetworkError(
  action: string,
  host: string,
  error: unknown,
  timedOut: boolean,
  timeoutMs: number,
  cutByDeadline: boolean,
): QianfanError {
  if (timedOut) {
    return new QianfanNetworkError({
      action,
      code: "TIMEOUT",
      detail: `no answer within ${timeoutMs} ms${cutByDeadline ? ", the time left before the caller's deadline" : ""}`,
      outcome: "unknown",
    });
  }
  if (error instanceof Error && error.name === "AbortError") return cancelled(action, "unknown");
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (cause?.message === "unexpected redirect") {
    return new QianfanNetworkError({
      action,
      code: "REDIRECT",
      detail: `'${host}' answered with a redirect, which was not followed; check the base URL`,
      outcome: "unknown",
      retryable: false,
    });
  }
  const code = typeof cause?.code === "string" ? cause.code : "NETWORK";
  if (!isRetryableNetworkError(code)) {
    return new QianfanNetworkError({
      action,
      code,
      detail: `the host name '${host}' does not resolve; check the base URL`,
      outcome: outcomeOfNetworkError(code),
      retryable: false,
    });
  }
  const detail =
    typeof cause?.message === "string"
      ? cause.message
      : error instanceof Error
        ? error.message
        : String(error);
  return new QianfanNetworkError({
    action,
    code,
    detail: clip(detail),
    outcome: outcomeOfNetworkError(code),
  });
}

/**
 * Reads a body as a stream up to `maxBytes`: a larger one (said by Content-Length or found while
 * reading) is dropped at once, so a hostile or broken server cannot fill the memory. The signal
 * also ends a body that stops arriving, even from a fetch that does not tie it to the signal.
 */
async function readBody(
  action: string,
  response: Response,
  maxBytes: number,
  signal: AbortSignal,
): Promise<string> {
  const tooLarge = () =>
    new QianfanResponseError({
      action,
      requestId: clip(response.headers.get("x-bce-request-id") ?? "") || undefined,
      code: "ResponseTooLarge",
      fields: ["body"],
      detail: `answer larger than ${formatBytes(maxBytes)} (maxResponseBytes); not read further, nothing acted on`,
    });
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return "";
  const reader = response.body.getReader();
  // Decoded as it arrives, so a large listing is never held as bytes a second time (joined into
  // one buffer) beside its text. A byte order mark stays in the text, as it was sent.
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const parts: string[] = [];
  let size = 0;
  const onAbort = () => {
    reader.cancel(signal.reason).catch(() => {});
  };
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      signal.throwIfAborted();
      const { done, value } = await reader.read();
      signal.throwIfAborted();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        reader.cancel().catch(() => {});
        throw tooLarge();
      }
      parts.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
  parts.push(decoder.decode());
  return parts.join("");
}

function formatBytes(bytes: number): string {
  const MiB = 1024 * 1024;
  if (bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** Platform strings go into messages and reports; a hostile answer must not make them huge. */
function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

interface Interpreted {
  result?: unknown;
  requestId: string | undefined;
  error?: QianfanError;
}

/**
 * Reads an answer: a body with an error code — `{code,message}` (BCE), `{error_code,error_msg}`
 * (older Qianfan APIs) or `{code,msg}` (Qianfan's rate-limit answers), the code a number or a
 * string — is an error whatever the HTTP status: Qianfan sends some of them with HTTP 200, and the
 * official JS SDK resolves those as success. A non-2xx status is an error too. A 2xx body that is
 * not a JSON object with a `result` is a {@link QianfanResponseError}.
 */
function interpretAnswer(action: string, response: Response, text: string): Interpreted {
  const headerRequestId = clip(response.headers.get("x-bce-request-id") ?? "") || undefined;
  let body: unknown;
  let parsed = text !== "";
  try {
    body = parsed ? JSON.parse(text) : undefined;
  } catch {
    parsed = false;
    body = undefined;
  }
  const record =
    body !== null && typeof body === "object" && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  const requestId =
    typeof record?.requestId === "string" && record.requestId !== ""
      ? clip(record.requestId)
      : headerRequestId;
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
  const errorCode = record ? [record.code, record.error_code].find(isErrorCode) : undefined;
  if (record && errorCode !== undefined) {
    const code = clip(scalarText(errorCode), 100);
    const message = clip(scalarText(record.message ?? record.error_msg ?? record.msg ?? ""));
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
        code: record ? "NoResult" : "NotJson",
        fields: record ? ["result"] : ["body"],
        detail: record
          ? "the answer has no 'result' field"
          : `the answer is ${kindOfBody(text, parsed, body)}, not a JSON object`,
      }),
    };
  }
  return { result: record.result, requestId };
}

/** A code field that names an error: present, and not 0 or "0" (the platform's "no error"). */
function isErrorCode(value: unknown): boolean {
  return value !== undefined && value !== null && value !== "" && value !== 0 && value !== "0";
}

function kindOfBody(text: string, parsed: boolean, body: unknown): string {
  if (text === "") return "empty";
  if (!parsed) return "not JSON";
  if (body === null) return "JSON null";
  if (Array.isArray(body)) return "a JSON array";
  return `a JSON ${typeof body}`;
}

/** A code or message as text; an object sent where a string belongs is shown as JSON, not `[object Object]`. */
function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
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
    quotaExhausted: quotaExhaustedBy(code),
  });
}

function parseResult<S extends z.ZodMiniType>(
  action: string,
  schema: S,
  result: unknown,
  requestId: string | undefined,
): z.infer<S> {
  let parsed: z.core.util.SafeParseResult<z.infer<S>>;
  try {
    parsed = schema.safeParse(result);
  } catch (error) {
    // A result nested deeply enough can exhaust the stack of the validator itself.
    throw new QianfanResponseError({
      action,
      requestId,
      fields: ["result"],
      detail: `the result could not be validated (${error instanceof Error ? error.name : "error"})`,
    });
  }
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 5);
  const fields = issues.map((issue) => ["result", ...issue.path.map(String)].join("."));
  const detail = issues.map((issue, i) => `${fields[i]}: ${clip(issue.message)}`).join("; ");
  throw new QianfanResponseError({ action, requestId, fields, detail });
}

/** Settles with `work`, or rejects with `onTimeout()` once `ms` have passed (the work is left to finish). */
function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}
