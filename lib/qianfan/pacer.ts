/**
 * Client-side pacing shared by every call of one client: requests start at most `perSecond` per
 * second, evenly spaced (so a burst never trips the platform's limit), and all of them wait out a
 * `Retry-After` the platform sent to any one of them — but never longer than `maxPauseMs`, so one
 * absurd answer (`Retry-After: 3600`) cannot stall every call of the client.
 */
export class Pacer {
  readonly #intervalMs: number;
  readonly #maxPauseMs: number;
  #nextSlot = 0;
  #pausedUntil = 0;

  constructor(perSecond: number, options: { maxPauseMs?: number } = {}) {
    if (!(perSecond > 0)) throw new RangeError("requestsPerSecond must be positive");
    const maxPauseMs = options.maxPauseMs ?? Number.POSITIVE_INFINITY;
    if (!(maxPauseMs >= 0)) throw new RangeError("maxPauseMs must not be negative");
    this.#intervalMs = 1000 / perSecond;
    this.#maxPauseMs = maxPauseMs;
  }

  /** How long a caller that asked for its turn now would wait. */
  waitMs(): number {
    const now = performance.now();
    return Math.max(0, this.#nextSlot - now, this.#pausedUntil - now);
  }

  /** Waits for this caller's turn. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.#nextSlot, this.#pausedUntil);
    this.#nextSlot = slot + this.#intervalMs;
    const wait = slot - now;
    if (wait > 0) await sleep(wait, signal);
  }

  /** Holds every caller back for `ms` from now (a 429's Retry-After), at most `maxPauseMs`. */
  pause(ms: number): void {
    if (!(ms > 0)) return;
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + Math.min(ms, this.#maxPauseMs));
    this.#nextSlot = Math.max(this.#nextSlot, this.#pausedUntil);
  }
}

/** A timer that an abort signal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
