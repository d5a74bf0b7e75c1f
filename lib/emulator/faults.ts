import { ERROR_CODES, isEmulatorCode } from "./errors";

/**
 * Faults the emulator injects at random, changeable while it runs (`setFaults`). Throttling is
 * answered with Qianfan's documented QPS-limit code 18 (see `ERROR_CODES` for why HTTP 429).
 */
export interface FaultOptions {
  /** Added before every answer, in ms. */
  latencyMs?: number;
  /** Server-side limit: beyond this many requests in a rolling second, answer 429 code 18 with Retry-After. */
  qps?: number;
  /** Fraction of requests answered 429 code 18 (QPS limit), before the action is applied. */
  rateLimit429Rate?: number;
  /** Fraction answered 500 InternalError or 503 ServiceUnavailable, before the action is applied. */
  failRate?: number;
  /** Fraction of connections destroyed with no answer, before the action is applied. */
  resetRate?: number;
  /** Fraction of answers held back `slowMs` (past a client's timeout); the action IS applied. */
  slowRate?: number;
  slowMs?: number;
}

/**
 * A targeted fault: the next `times` requests (of `action`, when given) get it. `code` may be any
 * text, to play a code the emulator does not otherwise answer (its message is then generic); with
 * `status` 200 and a numeric code it plays Qianfan's error-in-a-200 answers.
 * - `status`: answered `status` (default 500) with `code` (default InternalError), not applied;
 * - `reset-before`: the connection is destroyed, not applied;
 * - `reset-after-apply`: applied, then the connection is destroyed (a lost answer);
 * - `hang-after-apply`: applied, then never answered;
 * - `status-after-apply`: applied, then answered `status` (default 500) with `code` (default
 *   InternalError), as a gateway that times out behind the service does;
 * - `empty-result-after-apply`: applied, then answered 200 with `result: {}` (no instanceId).
 *
 * Answers the client cannot trust (the action is applied, its answer is spoiled — {@link ANSWER_FAULTS}):
 * - `truncated-json`: the answer's text cut in half; `malformed-json`: a gateway's HTML page;
 * - `oversized-body`: the answer padded past `bytes` (default 2 MiB);
 * - `empty-listing`: every list in `result` emptied; `duplicate-items`: every list item sent twice;
 * - `missing-field`: `field` left out of every object of `result`;
 * - `placeholder-dates`: `field` (default every field ending in `Time`) set to `value`
 *   (default `0000-00-00 00:00:00`);
 * - `endless-paging`: the page says more follow, at the marker just asked for (a walk that never ends).
 * A `status` rule may carry `retryAfter`, sent verbatim as the Retry-After header (`99999`, `soon`).
 */
export interface FaultRule {
  action?: string;
  kind:
    | "status"
    | "reset-before"
    | "reset-after-apply"
    | "hang-after-apply"
    | "status-after-apply"
    | "empty-result-after-apply"
    | AnswerFault;
  status?: number;
  /** Of a `status` rule: the Retry-After header, verbatim. */
  retryAfter?: string;
  /** Of `missing-field` and `placeholder-dates`. */
  field?: string;
  /** Of `placeholder-dates`. */
  value?: string;
  /** Of `oversized-body`. */
  bytes?: number;
  code?: string;
  times: number;
  /** Let this many matching requests through first (to fail, say, the second page of a listing). */
  skip?: number;
}

/** Faults that spoil an applied action's answer (see {@link FaultRule}). */
export const ANSWER_FAULTS = [
  "truncated-json",
  "malformed-json",
  "oversized-body",
  "empty-listing",
  "duplicate-items",
  "missing-field",
  "placeholder-dates",
  "endless-paging",
] as const;
export type AnswerFault = (typeof ANSWER_FAULTS)[number];

/** How a fault shows in the request log. */
export type FaultKind = "qps-limit" | "rate-limit" | "error" | "reset" | "slow" | FaultRule["kind"];

/** An answer the fault injector gives in place of the action's. */
export interface FaultAnswer {
  fault: FaultKind;
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
  /** Sent verbatim as Retry-After (wins over `retryAfterSeconds`). */
  retryAfterHeader?: string;
}

/** What happens to a request that passed authentication. */
export type FaultPlan =
  | { kind: "answer"; answer: FaultAnswer }
  | { kind: "reset"; fault: FaultKind }
  | {
      kind: "apply";
      after?:
        | { fault: "reset-after-apply" | "hang-after-apply" | "empty-result-after-apply" }
        | { fault: "status-after-apply"; answer: FaultAnswer }
        | { fault: "slow"; ms: number }
        | { fault: AnswerFault; rule: FaultRule };
    };

/** A seeded generator (mulberry32), so a run with faults can be repeated exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The rolling one-second window behind the `qps` limit. */
export class RollingWindow {
  readonly #times: number[] = [];

  /** Records a request at `now` if fewer than `limit` fall in the last second; else says how long to wait. */
  admit(now: number, limit: number): { admitted: true } | { admitted: false; retryAfterMs: number } {
    while (this.#times.length > 0 && this.#times[0]! <= now - 1000) this.#times.shift();
    if (this.#times.length >= limit) return { admitted: false, retryAfterMs: this.#times[0]! + 1000 - now };
    this.#times.push(now);
    return { admitted: true };
  }
}

/** Decides, per request, which fault (if any) it meets: random ones from the options, then targeted rules. */
export class FaultInjector {
  #options: FaultOptions;
  readonly #rules: FaultRule[] = [];
  readonly #random: () => number;
  readonly #window = new RollingWindow();

  constructor(options: FaultOptions = {}, seed = 20261123) {
    this.#options = { ...options };
    this.#random = seededRandom(seed);
  }

  get latencyMs(): number {
    return this.#options.latencyMs ?? 0;
  }

  /** Changes some options; the others stay. */
  update(options: FaultOptions): void {
    this.#options = { ...this.#options, ...options };
  }

  addRule(rule: FaultRule): void {
    this.#rules.push({ ...rule });
  }

  /** The gateway's request-rate limit, checked on the real clock before anything else. */
  throttle(nowMs: number): FaultAnswer | undefined {
    if (!this.#options.qps) return undefined;
    const admitted = this.#window.admit(nowMs, this.#options.qps);
    if (admitted.admitted) return undefined;
    return {
      ...this.#answer("qps-limit", ERROR_CODES["18"].status, "18"),
      retryAfterSeconds: Math.max(1, Math.ceil(admitted.retryAfterMs / 1000)),
    };
  }

  /** The fate of an authenticated request of `action`, decided before it is applied. */
  plan(action: string): FaultPlan {
    const rule = this.#takeRule(action);
    if (rule?.kind === "status") {
      const answer = this.#answer("status", rule.status ?? 500, rule.code ?? "InternalError");
      return { kind: "answer", answer: { ...answer, retryAfterHeader: rule.retryAfter } };
    }
    if (rule && isAnswerFault(rule.kind)) return { kind: "apply", after: { fault: rule.kind, rule } };
    if (rule?.kind === "reset-before") return { kind: "reset", fault: "reset-before" };
    if (rule?.kind === "status-after-apply") {
      const answer = this.#answer("status-after-apply", rule.status ?? 500, rule.code ?? "InternalError");
      return { kind: "apply", after: { fault: "status-after-apply", answer } };
    }
    if (rule) return { kind: "apply", after: { fault: rule.kind as "reset-after-apply" } };

    const o = this.#options;
    if (this.#chance(o.resetRate)) return { kind: "reset", fault: "reset" };
    // No Retry-After here: a platform that throttles without saying for how long.
    if (this.#chance(o.rateLimit429Rate)) {
      return { kind: "answer", answer: this.#answer("rate-limit", ERROR_CODES["18"].status, "18") };
    }
    if (this.#chance(o.failRate)) {
      const answer = this.#chance(0.5)
        ? this.#answer("error", ERROR_CODES.InternalError.status, "InternalError")
        : this.#answer("error", ERROR_CODES.ServiceUnavailable.status, "ServiceUnavailable");
      return { kind: "answer", answer };
    }
    if (this.#chance(o.slowRate)) return { kind: "apply", after: { fault: "slow", ms: o.slowMs ?? 30_000 } };
    return { kind: "apply" };
  }

  #chance(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.#random() < rate;
  }

  #answer(fault: FaultKind, status: number, code: string): FaultAnswer {
    return {
      fault,
      status,
      code,
      message: `${isEmulatorCode(code) ? ERROR_CODES[code].message : "Injected fault."} (emulator fault: ${fault})`,
    };
  }

  #takeRule(action: string): FaultRule | undefined {
    const rule = this.#rules.find((r) => r.times > 0 && (!r.action || r.action === action));
    if (!rule) return undefined;
    if (rule.skip) {
      rule.skip -= 1;
      return undefined;
    }
    rule.times -= 1;
    return rule;
  }
}

function isAnswerFault(kind: string): kind is AnswerFault {
  return (ANSWER_FAULTS as readonly string[]).includes(kind);
}

const GATEWAY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>";

/**
 * The text sent in place of `{requestId, result}` for an answer fault. `marker` is the one the
 * request asked for (`endless-paging` answers it again).
 */
export function spoilAnswer(
  fault: AnswerFault,
  rule: FaultRule,
  answer: { requestId: string; result: unknown },
  marker: string | undefined,
): string {
  const text = JSON.stringify(answer);
  if (fault === "truncated-json") return text.slice(0, Math.floor(text.length / 2));
  if (fault === "malformed-json") return GATEWAY_PAGE;
  if (fault === "oversized-body") {
    const bytes = rule.bytes ?? 2 * 1024 * 1024;
    return JSON.stringify({ ...answer, padding: "x".repeat(bytes) });
  }
  return JSON.stringify({ ...answer, result: reshape(fault, rule, answer.result, marker) });
}

function reshape(fault: AnswerFault, rule: FaultRule, result: unknown, marker: string | undefined): unknown {
  const walk = (value: unknown, key?: string): unknown => {
    if (Array.isArray(value)) {
      if (fault === "empty-listing") return [];
      const items = value.map((v) => walk(v));
      return fault === "duplicate-items" ? items.flatMap((v) => [v, structuredClone(v)]) : items;
    }
    if (value === null || typeof value !== "object") {
      const isTime = rule.field ? key === rule.field : key?.endsWith("Time") === true;
      if (fault === "placeholder-dates" && isTime && typeof value === "string") {
        return rule.value ?? "0000-00-00 00:00:00";
      }
      return value;
    }
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !(fault === "missing-field" && k === rule.field))
      .map(([k, v]) => [k, walk(v, k)] as const);
    const out = Object.fromEntries(entries) as Record<string, unknown>;
    if (fault === "endless-paging" && key === "pageInfo") {
      return { ...out, isTruncated: true, nextMarker: marker ?? firstMarker(result) };
    }
    return out;
  };
  return walk(result);
}

/** The id of the first listed item, where a walk without a marker started. */
function firstMarker(result: unknown): string {
  for (const value of Object.values((result ?? {}) as Record<string, unknown>)) {
    if (Array.isArray(value) && value.length > 0) {
      const item = value[0] as Record<string, unknown>;
      const id = item.serviceId ?? item.taskId ?? item.instanceId;
      if (typeof id === "string") return id;
    }
  }
  return "first";
}
