/** Faults the emulator can inject, changeable while it runs. */
export interface FaultOptions {
  /** Added to every answer. */
  latencyMs?: number;
  /** Server-side limit: beyond this many requests in a rolling second, answer 429. */
  qps?: number;
  /** Fraction of requests answered 429 before anything is applied. */
  rateLimit429Rate?: number;
  /** Fraction answered 500 InternalError or 503 ServiceUnavailable, before anything is applied. */
  failRate?: number;
  /** Fraction of connections destroyed with no answer, before anything is applied. */
  resetRate?: number;
  /** Fraction of answers held back `slowMs` after the action was applied. */
  slowRate?: number;
  slowMs?: number;
}

/** A targeted fault: the next `times` requests (of `action`, if given) get it. */
export interface FaultRule {
  action?: string;
  kind: "status" | "reset-before" | "reset-after-apply" | "hang-after-apply";
  status?: number;
  code?: string;
  times: number;
  /** Let this many matching requests through first (to fail, say, the second page of a listing). */
  skip?: number;
}

export type FaultKind = "rate-limit" | "qps-limit" | "error" | "reset" | "slow" | FaultRule["kind"];

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

  /** Records a request at `now` if fewer than `limit` fall in the last second; else returns ms to wait. */
  admit(now: number, limit: number): { admitted: true } | { admitted: false; retryAfterMs: number } {
    while (this.#times.length > 0 && this.#times[0]! <= now - 1000) this.#times.shift();
    if (this.#times.length >= limit) return { admitted: false, retryAfterMs: this.#times[0]! + 1000 - now };
    this.#times.push(now);
    return { admitted: true };
  }
}
