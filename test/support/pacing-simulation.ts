import { RollingWindow } from "../../lib/emulator/faults";
import { Pacer } from "../../lib/qianfan/pacer";

export interface PacingSimulation {
  /** The server's limit: requests admitted in any rolling second (the emulator's `--qps`). */
  limitPerSecond: number;
  /** The client's ceiling (its `requestsPerSecond`). */
  ceilingPerSecond: number;
  startPerSecond: number;
  /** Requests in flight at once (the client's concurrency, or the callers' own). */
  concurrency: number;
  latencyMs: number;
  seconds: number;
  /** The settled rate is measured over this last stretch. */
  settleSeconds: number;
}

export interface PacingOutcome {
  /** Clean answers per second over the last `settleSeconds`. */
  settledPerSecond: number;
  sent: number;
  throttled: number;
  /** Highest number of requests started in any one second. */
  peakPerSecond: number;
}

/**
 * Drives a {@link Pacer} on a simulated clock against a server that throttles beyond a rolling
 * one-second window (as the emulator's `qps` limit does, answering Retry-After in whole seconds,
 * at least 1), with callers that keep `concurrency` requests going and retry a throttled one after
 * its Retry-After, holding the pacer back for it as the client does. Deterministic and instant.
 */
export function simulatePacing(options: PacingSimulation): PacingOutcome {
  let now = 0;
  const events: Array<{ at: number; seq: number; run: () => void }> = [];
  let seq = 0;
  const schedule = (at: number, run: () => void) => {
    const event = { at, seq: seq++, run };
    let i = events.length;
    while (i > 0 && (events[i - 1]!.at > at || (events[i - 1]!.at === at && events[i - 1]!.seq > event.seq)))
      i -= 1;
    events.splice(i, 0, event);
  };
  const pacer = new Pacer(options.ceilingPerSecond, {
    startPerSecond: options.startPerSecond,
    maxPauseMs: 10_000,
    now: () => now,
    setTimer: (run, ms) => schedule(now + ms, run),
  });
  const window = new RollingWindow();
  const endMs = options.seconds * 1000;
  const settleFrom = endMs - options.settleSeconds * 1000;
  let sent = 0;
  let throttled = 0;
  let settled = 0;
  const perSecond = new Map<number, number>();
  const next = () => {
    if (now >= endMs) return;
    pacer.request((ticket) => {
      sent += 1;
      const second = Math.floor(now / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
      const admitted = window.admit(now, options.limitPerSecond);
      schedule(now + options.latencyMs, () => {
        if (admitted.admitted) {
          pacer.answered(ticket);
          if (now >= settleFrom && now < endMs) settled += 1;
          next();
          return;
        }
        throttled += 1;
        pacer.throttled(ticket);
        const retryAfterMs = Math.max(1, Math.ceil(admitted.retryAfterMs / 1000)) * 1000;
        pacer.pause(retryAfterMs);
        schedule(now + retryAfterMs, next);
      });
    });
  };
  for (let i = 0; i < options.concurrency; i += 1) schedule(0, next);
  while (events.length > 0) {
    const event = events.shift()!;
    now = event.at;
    event.run();
  }
  return {
    settledPerSecond: settled / options.settleSeconds,
    sent,
    throttled,
    peakPerSecond: Math.max(...perSecond.values()),
  };
}
