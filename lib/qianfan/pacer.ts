/**
 * Client-side pacing shared by every call of one client: requests start at most `perSecond` per
 * second, evenly spaced (so a burst never trips the platform's limit), and all of them wait out a
 * `Retry-After` the platform sent to any one of them.
 */
export class Pacer {
  readonly #intervalMs: number;
  #nextSlot = 0;
  #pausedUntil = 0;

  constructor(perSecond: number) {
    if (!(perSecond > 0)) throw new RangeError("requestsPerSecond must be positive");
    this.#intervalMs = 1000 / perSecond;
  }

  /** Waits for this caller's turn. */
  async take(signal?: AbortSignal): Promise<void> {
    const now = performance.now();
    const slot = Math.max(now, this.#nextSlot, this.#pausedUntil);
    this.#nextSlot = slot + this.#intervalMs;
    const wait = slot - now;
    if (wait > 0) await sleep(wait, signal);
  }

  /** Holds every caller back for `ms` from now (a 429's Retry-After). */
  pause(ms: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, performance.now() + ms);
    this.#nextSlot = Math.max(this.#nextSlot, this.#pausedUntil);
  }
}

/** A timer that an abort signal can cut short. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
