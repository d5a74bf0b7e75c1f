import Queue from "yocto-queue";

/**
 * The pacing every client starts with when nothing else is configured (and the defaults of the
 * config's `qianfan` block): a ceiling of requests per second and in flight that the adaptive rate
 * never passes, and the moderate rate it starts at. One place, read by the config and the client.
 */
export const DEFAULT_PACING = {
  /** The ceiling of requests started per second (config `qianfan.requestsPerSecond`). */
  requestsPerSecond: 1000,
  /** The ceiling of requests in flight at once (config `qianfan.concurrency`). */
  concurrency: 32,
  /**
   * Where the adaptive rate starts: above the rate of a serial loop at the platform's usual
   * latency (one request per 25–100 ms), far below the ceiling.
   */
  startRequestsPerSecond: 50,
} as const;

/**
 * The share of the ceiling the rate goes up to. Requests started evenly still reach the platform
 * a little unevenly (timers, the event loop, the network), so a platform counting arrivals
 * against a limit equal to the ceiling would throttle the few that bunch, and each throttle costs
 * a `Retry-After` pause and a halved rate. The margin keeps clear of that.
 */
export const CEILING_SHARE = 0.975;
/**
 * How fast the rate climbs while answers are clean, per second: before the first throttle, and
 * back to just under a throttled rate after one. Nor does it climb past this many times what was
 * really sent in the last second (a rate far above that is untested).
 */
const CLIMB_PER_SECOND = 4;
/** The rate never falls below this, whatever the platform answers (one request every 2 s). */
const FLOOR_PER_SECOND = 0.5;
/** After a throttle the rate climbs back quickly to this share of the rate that was throttled... */
const RECOVERY_SHARE = 0.92;
/** ...stays there this long... */
const HOLD_MS = 20_000;
/** ...then probes above it, adding this share of the throttled rate per second. */
const PROBE_SHARE_PER_SECOND = 0.02;
/** How far back the rate actually sent is measured. */
const MEASURE_MS = 1000;
/**
 * How much of a timer's lateness the next turn makes up (at most half a turn's spacing): timers
 * fire a millisecond or so late, which at 5 ms spacing would lose a sixth of the rate, while a
 * turn given early by this much still keeps any second's count within the rate.
 */
const CATCH_UP_MS = 2;

/** Which slow-down a request was sent under: a throttle answer to an older one is the same congestion. */
export interface PacerTicket {
  readonly epoch: number;
}

export interface PacerOptions {
  /** Where the rate starts (default: the ceiling, i.e. a fixed rate until the platform throttles). */
  startPerSecond?: number;
  /** False: the rate stays where it starts, whatever the answers (default true). */
  adaptive?: boolean;
  /** The longest a `Retry-After` holds every caller back. */
  maxPauseMs?: number;
  /** Milliseconds on a monotonic clock; `performance.now` unless a test drives the time. */
  now?: () => number;
  /** Runs `run` after `ms` on that clock; `setTimeout` unless a test drives the time. */
  setTimer?: (run: () => void, ms: number) => unknown;
}

/**
 * Client-side pacing shared by every call of one client, adaptive like the AWS SDKs' "adaptive"
 * retry mode: requests start evenly spaced (a burst never trips the platform's limit) at a rate
 * that starts moderate, climbs while answers are clean and callers are waiting for it
 * ({@link CLIMB_PER_SECOND} until the first throttle), and is halved on a throttling answer —
 * measured against what was really sent in the last second, so one congestion halves it once, not
 * once per request in flight. After a throttle the rate returns quickly to just under the rate
 * that was throttled, holds there, then probes upwards additively. It never passes
 * {@link CEILING_SHARE} of `ceilingPerSecond` (the user's `requestsPerSecond`). All callers also
 * wait out a `Retry-After` that a retried call waits out ({@link pause}) — never longer than `maxPauseMs`, so one absurd answer (`Retry-After: 3600`)
 * cannot stall every call of the client.
 */
export class Pacer {
  readonly #ceiling: number;
  readonly #adaptive: boolean;
  readonly #maxPauseMs: number;
  readonly #now: () => number;
  readonly #setTimer: (run: () => void, ms: number) => unknown;
  readonly #waiters: Array<(ticket: PacerTicket) => void> = [];
  /** Callers served before `#waiters`: each the next page of a listing that waits for it. */
  readonly #urgent: Array<(ticket: PacerTicket) => void> = [];
  /** Whether a timer will give out the next turn. */
  #armed = false;
  #rate: number;
  /** The rate last throttled (as measured), undefined before the first throttle. */
  #throttledAt: number | undefined;
  #lastThrottleMs = Number.NEGATIVE_INFINITY;
  #lastUpdateMs: number;
  #epoch = 0;
  /** Whether a caller waited for its turn since the rate last changed: only then is climbing useful. */
  #held = false;
  #nextSlot = 0;
  #pausedUntil = 0;
  /** Start times of the requests of the last second, oldest first, from `#head` on. */
  readonly #starts: number[] = [];
  #head = 0;
  readonly #createdMs: number;

  constructor(ceilingPerSecond: number, options: PacerOptions = {}) {
    if (!(ceilingPerSecond > 0)) throw new RangeError("requestsPerSecond must be positive");
    const maxPauseMs = options.maxPauseMs ?? Number.POSITIVE_INFINITY;
    if (!(maxPauseMs >= 0)) throw new RangeError("maxPauseMs must not be negative");
    const start = options.startPerSecond ?? ceilingPerSecond;
    if (!(start > 0)) throw new RangeError("the starting rate must be positive");
    this.#ceiling = ceilingPerSecond * CEILING_SHARE;
    this.#adaptive = options.adaptive ?? true;
    this.#maxPauseMs = maxPauseMs;
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
    this.#rate = Math.min(start, this.#ceiling);
    this.#createdMs = this.#now();
    this.#lastUpdateMs = this.#createdMs;
  }

  /** The rate requests start at now, per second. */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** How long a caller that asked for its turn now would wait (behind the callers already waiting). */
  waitMs(urgent = false): number {
    const now = this.#now();
    const first = Math.max(0, this.#nextSlot - now, this.#pausedUntil - now);
    const ahead = this.#urgent.length + (urgent ? 0 : this.#waiters.length);
    return first + (ahead * 1000) / this.#rate;
  }

  /**
   * Queues a caller: `onTurn` is called, in order, when its turn comes, with the ticket to report
   * the answer with. Turns are given out one at a time at the rate of the moment, so a change of
   * rate or a pause applies at once to every caller still waiting. An urgent caller is served
   * before every caller waiting without it (the rate is the same for both). Returns a function that
   * leaves the queue.
   */
  request(onTurn: (ticket: PacerTicket) => void, urgent = false): () => void {
    const queue = urgent ? this.#urgent : this.#waiters;
    queue.push(onTurn);
    this.#pump();
    return () => {
      const i = queue.indexOf(onTurn);
      if (i >= 0) queue.splice(i, 1);
    };
  }

  /** Waits for this caller's turn (before the callers waiting without urgency, when `urgent`). */
  take(signal?: AbortSignal, urgent = false): Promise<PacerTicket> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        leave();
        reject(signal?.reason);
      };
      const leave = this.request((ticket) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(ticket);
      }, urgent);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #pump(): void {
    if (this.#armed) return;
    while (this.#urgent.length + this.#waiters.length > 0) {
      const now = this.#now();
      const at = Math.max(this.#nextSlot, this.#pausedUntil);
      // (A microsecond early is on time: timers and float sums are not exact.)
      if (at - now > 0.001) {
        this.#held = true;
        this.#armed = true;
        this.#setTimer(() => {
          this.#armed = false;
          this.#pump();
        }, at - now);
        return;
      }
      const onTurn = (this.#urgent.length > 0 ? this.#urgent : this.#waiters).shift()!;
      const spacing = 1000 / this.#rate;
      // A late timer's turn keeps the schedule it was late for, up to the catch-up allowance.
      this.#nextSlot = Math.max(now - Math.min(CATCH_UP_MS, spacing / 2), this.#nextSlot) + spacing;
      this.#forget(now);
      this.#starts.push(now);
      onTurn({ epoch: this.#epoch });
    }
  }

  /** A clean answer: the rate climbs, if callers are waiting for it. */
  answered(_ticket: PacerTicket): void {
    const now = this.#now();
    const dt = Math.min(MEASURE_MS, Math.max(0, now - this.#lastUpdateMs)) / 1000;
    this.#lastUpdateMs = now;
    if (!this.#held || !this.#adaptive) return;
    this.#held = false;
    let rate = this.#rate;
    const throttledAt = this.#throttledAt;
    if (throttledAt === undefined) rate *= CLIMB_PER_SECOND ** dt;
    else if (rate < RECOVERY_SHARE * throttledAt)
      rate = Math.min(RECOVERY_SHARE * throttledAt, rate * CLIMB_PER_SECOND ** dt);
    else if (now - this.#lastThrottleMs >= HOLD_MS) rate += PROBE_SHARE_PER_SECOND * throttledAt * dt;
    // A rate far above what is really sent (the callers or the machine are slower) is untested.
    const sent = this.#sentPerSecond(now);
    this.#rate = Math.min(this.#ceiling, Math.max(this.#rate, Math.min(rate, CLIMB_PER_SECOND * sent)));
  }

  /** A throttling answer to a request sent with `ticket`: the rate is halved, once per congestion. */
  throttled(ticket: PacerTicket): void {
    if (ticket.epoch !== this.#epoch || !this.#adaptive) return;
    const now = this.#now();
    this.#epoch += 1;
    this.#throttledAt = Math.min(this.#rate, Math.max(FLOOR_PER_SECOND, this.#sentPerSecond(now)));
    this.#rate = Math.max(FLOOR_PER_SECOND, this.#throttledAt / 2);
    this.#lastThrottleMs = now;
    this.#lastUpdateMs = now;
    this.#held = false;
  }

  /** Holds every caller back for `ms` from now (a Retry-After), at most `maxPauseMs`. */
  pause(ms: number): void {
    if (!(ms > 0)) return;
    const until = this.#now() + Math.min(ms, this.#maxPauseMs);
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    this.#nextSlot = Math.max(this.#nextSlot, this.#pausedUntil);
    this.#epoch += 1;
  }

  /** Drops the start times older than the measured second. */
  #forget(now: number): void {
    while (this.#head < this.#starts.length && this.#starts[this.#head]! <= now - MEASURE_MS) this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#starts.length) {
      this.#starts.splice(0, this.#head);
      this.#head = 0;
    }
  }

  /**
   * Requests started per second, over the last second — or over the time since the client began
   * or since the last pause ended, when shorter: time spent paused says nothing about the rate.
   */
  #sentPerSecond(now: number): number {
    this.#forget(now);
    const since = Math.max(this.#createdMs, Math.min(now, this.#pausedUntil));
    const span = Math.min(MEASURE_MS, Math.max(100, now - since));
    let sent = 0;
    for (let i = this.#starts.length - 1; i >= this.#head && this.#starts[i]! > now - span; i -= 1) sent += 1;
    return (sent * 1000) / span;
  }
}

/**
 * At most `limit` tasks at once, started in the order they came, except that a waiting urgent task
 * starts before every waiting task without urgency — the next page of a listing that a job waits
 * for, not the actions queued behind it. (p-limit's queue has one lane.)
 */
export class ConcurrencyGate {
  readonly limit: number;
  #active = 0;
  // Queues, not arrays: tens of thousands may wait at once (a glob binding every service of a
  // large fleet), and an array's shift copies them all each time.
  readonly #urgent = new Queue<() => void>();
  readonly #others = new Queue<() => void>();

  constructor(limit: number) {
    if (!((Number.isInteger(limit) || limit === Number.POSITIVE_INFINITY) && limit >= 1))
      throw new RangeError("concurrency must be a positive integer");
    this.limit = limit;
  }

  /** Tasks running now. */
  get activeCount(): number {
    return this.#active;
  }

  /** Tasks waiting to start. */
  get pendingCount(): number {
    return this.#urgent.size + this.#others.size;
  }

  async run<T>(task: () => Promise<T>, urgent = false): Promise<T> {
    if (this.#active < this.limit) this.#active += 1;
    // A finished task hands its place over: #active stays as it is for the one it wakes.
    else await new Promise<void>((resolve) => (urgent ? this.#urgent : this.#others).enqueue(resolve));
    try {
      return await task();
    } finally {
      const next = this.#urgent.dequeue() ?? this.#others.dequeue();
      if (next) next();
      else this.#active -= 1;
    }
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
