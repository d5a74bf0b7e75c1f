/**
 * Errors of the Qianfan API library. None of them ever holds a secret key or an Authorization
 * header: they are built only from the action, the status, the platform's code and message, and
 * the requestId.
 */

/** What the caller knows about the effect of a failed call on the platform. */
export type Outcome =
  /** The platform refused or never received the request: nothing changed. */
  | "not-applied"
  /** The request may or may not have been applied (timeout, reset, 5xx). */
  | "unknown";

/** Why an answer was not used (the `code` of a {@link QianfanResponseError}). */
export type ResponseProblem =
  /** The result does not match the action's schema. */
  | "InvalidResult"
  /** The body is not JSON, or is JSON but not an object (`null`, an array, a string, a number). */
  | "NotJson"
  /** A JSON object without a `result` field. */
  | "NoResult"
  /** The body passed `maxResponseBytes`; it was not read further. */
  | "ResponseTooLarge"
  /** A listing that repeats an id, pages without end, or passes the page or item cap. */
  | "InvalidListing";

/** Base class: every error this library throws. */
export class QianfanError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "QianfanError";
  override name = "QianfanError";
  readonly action: string;
  readonly requestId: string | undefined;
  readonly retryable: boolean;
  readonly outcome: Outcome;

  constructor(
    message: string,
    init: { action: string; requestId?: string; retryable: boolean; outcome: Outcome; cause?: unknown },
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.action = init.action;
    this.requestId = init.requestId;
    this.retryable = init.retryable;
    this.outcome = init.outcome;
  }

  /** A one-line account for people and chat: action, code, message and requestId, no stack. */
  describe(): string {
    return this.message;
  }

  /** The fields a report or a log line may carry. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      action: this.action,
      requestId: this.requestId,
      retryable: this.retryable,
      outcome: this.outcome,
    };
  }
}

/**
 * Which request quota of the account is used up: Qianfan's error_code 17 ("Open api daily request
 * limit reached") or 19 ("Open api total request limit reached"). Not throttling: no wait within
 * a run makes the next request pass.
 */
export type QuotaExhausted = "daily" | "total";

/**
 * The platform answered with an error body (`{code,message}`, `{error_code,error_msg}` or
 * `{code,msg}`, whatever the HTTP status) or a non-2xx status.
 */
export class QianfanApiError extends QianfanError {
  static override readonly name: string = "QianfanApiError";
  override name = "QianfanApiError";
  readonly status: number;
  readonly code: string;
  readonly platformMessage: string;
  /** From a `Retry-After` header, when the platform sent one. */
  readonly retryAfterMs: number | undefined;
  /** Set when the answer says a request quota of the account is used up (code 17 or 19). */
  readonly quotaExhausted: QuotaExhausted | undefined;

  constructor(init: {
    action: string;
    status: number;
    code: string;
    message: string;
    requestId?: string;
    retryable: boolean;
    outcome: Outcome;
    retryAfterMs?: number;
    quotaExhausted?: QuotaExhausted;
    cause?: unknown;
  }) {
    const id = init.requestId ? `, requestId ${init.requestId}` : "";
    // A report shows this message: a used-up quota must read as such, not as a passing hiccup.
    const what = init.quotaExhausted
      ? `the account's ${init.quotaExhausted} API request quota is used up (code ${init.code}); no retry in this run (HTTP ${init.status}: ${init.message})`
      : `${init.code} (HTTP ${init.status}): ${init.message}`;
    super(`${init.action} failed: ${what}${id}`, init);
    this.status = init.status;
    this.code = init.code;
    this.platformMessage = init.message;
    this.retryAfterMs = init.retryAfterMs;
    this.quotaExhausted = init.quotaExhausted;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      code: this.code,
      platformMessage: this.platformMessage,
      ...(this.quotaExhausted ? { quotaExhausted: this.quotaExhausted } : {}),
    };
  }
}

/**
 * The request did not get an answer: connection refused or reset, DNS failure, the timeout, or the
 * caller's deadline (`DEADLINE`: no request was started that could not finish in time).
 */
export class QianfanNetworkError extends QianfanError {
  static override readonly name: string = "QianfanNetworkError";
  override name = "QianfanNetworkError";
  /** The system or undici code (`ECONNRESET`, `UND_ERR_SOCKET`, `TIMEOUT`, `ENOTFOUND`, `DEADLINE`, …). */
  readonly code: string;

  constructor(init: {
    action: string;
    code: string;
    detail: string;
    outcome: Outcome;
    /** Most network failures pass; a host that does not resolve or a deadline does not. */
    retryable?: boolean;
    requestId?: string;
    cause?: unknown;
  }) {
    super(`${init.action} got no answer: ${init.code} (${init.detail})`, {
      ...init,
      retryable: init.retryable ?? true,
    });
    this.code = init.code;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code };
  }
}

/**
 * An answer the library will not act on: a result that lacks what the caller needs, a body that is
 * not a JSON object or is larger than the cap, or a listing that cannot be trusted (repeated ids,
 * endless pages). Never retried: the same server would most likely answer the same way.
 */
export class QianfanResponseError extends QianfanError {
  static override readonly name: string = "QianfanResponseError";
  override name = "QianfanResponseError";
  /** What is wrong, for programs: see {@link ResponseProblem}. */
  readonly code: ResponseProblem;
  /** Dotted paths of the fields that failed validation, e.g. `result.computeUnitInstanceList.3.status`. */
  readonly fields: string[];

  constructor(init: {
    action: string;
    requestId?: string;
    code?: ResponseProblem;
    fields: string[];
    detail: string;
  }) {
    const id = init.requestId ? ` (requestId ${init.requestId})` : "";
    super(`${init.action} returned an unexpected result${id}: ${init.detail}`, {
      action: init.action,
      requestId: init.requestId,
      retryable: false,
      outcome: "unknown",
    });
    this.code = init.code ?? "InvalidResult";
    this.fields = init.fields;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), code: this.code, fields: this.fields };
  }
}

/**
 * A purchase whose effect could not be established: it may have been bought. It is never sent
 * again blindly; the caller must look at the platform before trying again.
 */
export class QianfanUnknownOutcomeError extends QianfanError {
  static override readonly name: string = "QianfanUnknownOutcomeError";
  override name = "QianfanUnknownOutcomeError";

  constructor(init: { action: string; requestId?: string; detail: string; cause?: unknown }) {
    super(`${init.action} outcome is unknown: ${init.detail}`, {
      ...init,
      retryable: false,
      outcome: "unknown",
    });
  }
}

/** Missing or malformed credentials or base URL. */
export class QianfanConfigError extends Error {
  static override readonly name: string = "QianfanConfigError";
  override name = "QianfanConfigError";
}

/** Type guard for every error of this library. */
export function isQianfanError(error: unknown): error is QianfanError {
  return error instanceof QianfanError;
}

/** Type guard for an error answer from the platform. */
export function isQianfanApiError(error: unknown): error is QianfanApiError {
  return error instanceof QianfanApiError;
}
