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
 */
export interface FaultRule {
  action?: string;
  kind:
    | "status"
    | "reset-before"
    | "reset-after-apply"
    | "hang-after-apply"
    | "status-after-apply"
    | "empty-result-after-apply";
  status?: number;
  code?: string;
  times: number;
  /** Let this many matching requests through first (to fail, say, the second page of a listing). */
  skip?: number;
}

/** How a fault shows in the request log. */
export type FaultKind = "qps-limit" | "rate-limit" | "error" | "reset" | "slow" | FaultRule["kind"];

/** An answer the fault injector gives in place of the action's. */
export interface FaultAnswer {
  fault: FaultKind;
  status: number;
  code: string;
  message: string;
  retryAfterSeconds?: number;
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
        | { fault: "slow"; ms: number };
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
      return {
        kind: "answer",
        answer: this.#answer("status", rule.status ?? 500, rule.code ?? "InternalError"),
      };
    }
    if (rule?.kind === "reset-before") return { kind: "reset", fault: "reset-before" };
    if (rule?.kind === "status-after-apply") {
      const answer = this.#answer("status-after-apply", rule.status ?? 500, rule.code ?? "InternalError");
      return { kind: "apply", after: { fault: "status-after-apply", answer } };
    }
    if (rule) return { kind: "apply", after: { fault: rule.kind } };

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
