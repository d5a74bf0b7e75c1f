import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { clientPacing, parseConfig } from "../../lib/config";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { DEFAULT_PACING, QianfanApi, QianfanClient, staticCredentials } from "../../lib/qianfan";
import { CEILING_SHARE, ConcurrencyGate, Pacer, type PacerTicket } from "../../lib/qianfan/pacer";
import { emulatorWith, postpaidUnit, task } from "../support/emulator";
import { simulatePacing } from "../support/pacing-simulation";

const settle = { startPerSecond: 50, concurrency: 64, latencyMs: 25, seconds: 90, settleSeconds: 60 };

describe("adaptive pacing on a simulated clock", () => {
  for (const limit of [50, 200, 1000]) {
    it(`settles within 15% of a server limit of ${limit}/s with under 1% of requests throttled`, () => {
      const outcome = simulatePacing({ ...settle, limitPerSecond: limit, ceilingPerSecond: 5000 });
      expect(outcome.settledPerSecond).toBeGreaterThanOrEqual(0.85 * limit);
      expect(outcome.settledPerSecond).toBeLessThanOrEqual(limit);
      expect(outcome.throttled / outcome.sent).toBeLessThan(0.01);
    });
  }

  it("never starts more requests in a second than the ceiling, however much the server allows", () => {
    const outcome = simulatePacing({ ...settle, limitPerSecond: 1000, ceilingPerSecond: 120 });
    expect(outcome.peakPerSecond).toBeLessThanOrEqual(121);
    expect(outcome.settledPerSecond).toBeGreaterThanOrEqual(0.95 * 120);
    expect(outcome.throttled).toBe(0);
  });

  it("halves the rate once per congestion, not once per request in flight", () => {
    const clock = manualClock();
    const pacer = new Pacer(1000, { startPerSecond: 100, ...clock.options });
    const tickets: PacerTicket[] = [];
    for (let i = 0; i < 50; i += 1) pacer.request((ticket) => tickets.push(ticket));
    clock.advance(500);
    expect(tickets).toHaveLength(50);
    pacer.throttled(tickets[0]!);
    const halved = pacer.ratePerSecond;
    for (const ticket of tickets.slice(1)) pacer.throttled(ticket);
    expect(halved).toBeGreaterThan(45);
    expect(halved).toBeLessThanOrEqual(50);
    expect(pacer.ratePerSecond).toBe(halved);
  });

  it("climbs only while callers wait for their turn", () => {
    const clock = manualClock();
    const pacer = new Pacer(1000, { startPerSecond: 50, ...clock.options });
    for (let i = 0; i < 20; i += 1) {
      clock.advance(500);
      pacer.request((ticket) => pacer.answered(ticket));
    }
    expect(pacer.ratePerSecond).toBe(50);
    for (let i = 0; i < 200; i += 1) pacer.request((ticket) => pacer.answered(ticket));
    clock.advance(2000);
    expect(pacer.ratePerSecond).toBeGreaterThan(50);
  });

  it("holds every waiting caller back for a pause that begins while they wait", () => {
    const clock = manualClock();
    const pacer = new Pacer(10, clock.options);
    const turns: number[] = [];
    for (let i = 0; i < 3; i += 1) pacer.request(() => turns.push(clock.now()));
    pacer.pause(2000);
    clock.advance(5000);
    expect(turns[0]).toBe(0);
    expect(turns[1]).toBeGreaterThanOrEqual(2000);
    expect(turns[2]! - turns[1]!).toBeGreaterThanOrEqual(100);
  });

  it("gives the waiting callers the new rate at once when it changes", () => {
    const clock = manualClock();
    const pacer = new Pacer(1000, { startPerSecond: 100, ...clock.options });
    const turns: PacerTicket[] = [];
    for (let i = 0; i < 100; i += 1) pacer.request((ticket) => turns.push(ticket));
    clock.advance(100);
    const before = turns.length;
    pacer.throttled(turns.at(-1)!);
    clock.advance(1000);
    // At 100/s the next second would give 100 turns; at the halved rate about 50.
    expect(turns.length - before).toBeLessThanOrEqual(60);
  });

  it("makes up a timer's lateness, and still never starts more in a second than its share of the ceiling", () => {
    // Every timer fires 1 ms late, as busy event loops do: at 200/s (5 ms apart) a pacer that
    // lost the lateness would start about 166 a second.
    const clock = manualClock(1);
    const pacer = new Pacer(200, { adaptive: false, ...clock.options });
    const turns: number[] = [];
    for (let i = 0; i < 2000; i += 1) pacer.request(() => turns.push(clock.now()));
    clock.advance(5000);
    const inFirstSeconds = turns.filter((t) => t < 5000).length;
    expect(inFirstSeconds).toBeGreaterThanOrEqual(0.98 * 5 * 200 * CEILING_SHARE);
    let busiest = 0;
    for (let i = 0, j = 0; i < turns.length; i += 1) {
      while (turns[j]! <= turns[i]! - 1000) j += 1;
      busiest = Math.max(busiest, i - j + 1);
    }
    // A margin under the ceiling: a platform counting arrivals against a limit of 200 is not
    // tipped over by the few that bunch on the way (one more than 195 where a second's edge falls
    // between two float sums of the spacing).
    expect(busiest).toBeLessThanOrEqual(Math.floor(200 * CEILING_SHARE) + 1);
  });

  it("climbs from its start to the ceiling in about a second while answers are clean and callers wait", () => {
    const clock = manualClock();
    const pacer = new Pacer(200, { startPerSecond: 50, ...clock.options });
    for (let i = 0; i < 2000; i += 1) pacer.request((ticket) => pacer.answered(ticket));
    let reachedAt: number | undefined;
    for (let t = 0; t < 5000 && reachedAt === undefined; t += 10) {
      clock.advance(10);
      if (pacer.ratePerSecond >= 200 * CEILING_SHARE) reachedAt = clock.now();
    }
    expect(reachedAt).toBeDefined();
    expect(reachedAt!).toBeLessThanOrEqual(1300);
  });

  it("serves an urgent caller before the callers waiting without urgency, at the same rate", () => {
    const clock = manualClock();
    const pacer = new Pacer(10, { adaptive: false, ...clock.options });
    const order: string[] = [];
    const turns: number[] = [];
    const turn = (name: string) => () => {
      order.push(name);
      turns.push(clock.now());
    };
    for (const name of ["a", "b", "c", "d"]) pacer.request(turn(name));
    expect(pacer.waitMs(true)).toBeLessThan(pacer.waitMs());
    pacer.request(turn("urgent-1"), true);
    const leave = pacer.request(() => order.push("left"), true);
    pacer.request(turn("urgent-2"), true);
    leave();
    clock.advance(2000);
    // "a" had its turn at once; the urgent ones come next, in their order; one left the queue.
    expect(order).toEqual(["a", "urgent-1", "urgent-2", "b", "c", "d"]);
    for (let i = 1; i < turns.length; i += 1) expect(turns[i]! - turns[i - 1]!).toBeGreaterThanOrEqual(99);
  });

  it("keeps a fixed rate when adaptive pacing is off", () => {
    const clock = manualClock();
    const pacer = new Pacer(100, { adaptive: false, ...clock.options });
    const turns: PacerTicket[] = [];
    for (let i = 0; i < 10; i += 1) pacer.request((ticket) => turns.push(ticket));
    clock.advance(200);
    expect(pacer.ratePerSecond).toBe(100 * CEILING_SHARE);
    pacer.throttled(turns[0]!);
    expect(pacer.ratePerSecond).toBe(100 * CEILING_SHARE);
  });
});

describe("the client's concurrency gate", () => {
  it("never runs more than its limit, runs every task, and starts waiting urgent tasks first", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.record({ urgent: fc.boolean(), ticks: fc.integer({ min: 0, max: 3 }) }), {
          maxLength: 30,
        }),
        async (limit, tasks) => {
          const gate = new ConcurrencyGate(limit);
          let running = 0;
          let most = 0;
          const started: number[] = [];
          const runs = tasks.map(({ urgent, ticks }, i) =>
            gate.run(async () => {
              running += 1;
              most = Math.max(most, running);
              started.push(i);
              for (let t = 0; t < ticks; t += 1) await Promise.resolve();
              running -= 1;
              return i;
            }, urgent),
          );
          expect(await Promise.all(runs)).toEqual(tasks.map((_, i) => i));
          expect(most).toBeLessThanOrEqual(limit);
          expect(gate.activeCount).toBe(0);
          expect(gate.pendingCount).toBe(0);
          // Those that had to wait (all queued at once, beyond the first `limit`) start urgent
          // first, each lane in its order.
          const waited = started.slice(limit);
          const rest = tasks.map((t, i) => ({ ...t, i })).slice(limit);
          const expected = [...rest.filter((t) => t.urgent), ...rest.filter((t) => !t.urgent)].map(
            (t) => t.i,
          );
          expect(waited).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a limit that is not a positive whole number", () => {
    expect(() => new ConcurrencyGate(0)).toThrow(RangeError);
    expect(() => new ConcurrencyGate(1.5)).toThrow(RangeError);
    expect(() => new ConcurrencyGate(Number.NaN)).toThrow(RangeError);
    expect(new ConcurrencyGate(Number.POSITIVE_INFINITY).limit).toBe(Number.POSITIVE_INFINITY);
  });

  it("lets a failed task hand its place on", async () => {
    const gate = new ConcurrencyGate(1);
    const failed = gate.run(async () => {
      throw new Error("boom");
    });
    const next = gate.run(async () => "next");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("next");
  });
});

/** A clock and timers a test moves by hand; each timer fires `lateMs` after it was due. */
function manualClock(lateMs = 0) {
  let now = 0;
  let timers: Array<{ at: number; run: () => void }> = [];
  return {
    now: () => now,
    options: {
      now: () => now,
      setTimer: (run: () => void, ms: number) => {
        timers.push({ at: now + ms + lateMs, run });
      },
    },
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.run();
      }
      now = end;
    },
  };
}

describe("pacing defaults", () => {
  it("are one set, shared by the config and the client", () => {
    const config = parseConfig("version: 1\n", "test.yml");
    expect(clientPacing(config.qianfan)).toEqual({
      requestsPerSecond: DEFAULT_PACING.requestsPerSecond,
      startRequestsPerSecond: DEFAULT_PACING.startRequestsPerSecond,
      concurrency: DEFAULT_PACING.concurrency,
    });
    const client = new QianfanClient({ credentials: staticCredentials(DEMO_CREDENTIALS) });
    expect(client.pacing).toMatchObject({ ...clientPacing(config.qianfan), adaptive: true });
    expect(client.currentRequestsPerSecond).toBe(DEFAULT_PACING.startRequestsPerSecond);
  });

  it("start at the limit a config sets, and climb from a moderate start to the default ceiling without one", () => {
    const set = parseConfig("version: 1\nqianfan: { requestsPerSecond: 200, concurrency: 16 }\n", "test.yml");
    const client = new QianfanClient({
      credentials: staticCredentials(DEMO_CREDENTIALS),
      pacing: clientPacing(set.qianfan),
    });
    expect(client.pacing).toMatchObject({ requestsPerSecond: 200, concurrency: 16, adaptive: true });
    expect(client.currentRequestsPerSecond).toBe(200 * CEILING_SHARE);
    // Below the moderate start, a set limit is where the rate starts all the same.
    const slow = parseConfig("version: 1\nqianfan: { requestsPerSecond: 5 }\n", "test.yml");
    expect(clientPacing(slow.qianfan)).toMatchObject({ requestsPerSecond: 5, startRequestsPerSecond: 5 });
    const unset = parseConfig("version: 1\nqianfan: { concurrency: 16 }\n", "test.yml");
    expect(clientPacing(unset.qianfan)).toMatchObject({
      requestsPerSecond: DEFAULT_PACING.requestsPerSecond,
      startRequestsPerSecond: DEFAULT_PACING.startRequestsPerSecond,
    });
  });
});

describe("adaptive pacing against the emulator's rate limit", () => {
  let emulator: RunningEmulator | undefined;
  const sentAt: number[] = [];
  let onThrottled: (() => void) | undefined;
  afterEach(async () => {
    onThrottled = undefined;
    await emulator?.close();
    emulator = undefined;
    sentAt.length = 0;
  });

  const api = (url: string, pacing: ConstructorParameters<typeof QianfanClient>[0]["pacing"]) =>
    new QianfanApi(
      new QianfanClient({
        credentials: staticCredentials(DEMO_CREDENTIALS),
        baseUrl: url,
        retry: { retries: 8, minDelayMs: 5, maxDelayMs: 50, maxRetryTimeMs: 30_000 },
        pacing,
        onEvent: (event) => {
          if (event.type !== "response") return;
          sentAt.push(event.signedAtMs);
          if (event.status === 429) onThrottled?.();
        },
      }),
    );
  const startsPerRollingSecond = (times: number[]) => {
    let most = 0;
    for (let i = 0, j = 0; i < times.length; i += 1) {
      while (times[i]! - times[j]! >= 1000) j += 1;
      most = Math.max(most, i - j + 1);
    }
    return most;
  };

  it("halves its rate on the emulator's throttling: every call succeeds and few are throttled", async () => {
    // A limit of 10/s against a start of 50/s and 8 in flight: the first second sends more than
    // 10 however slow the machine is, so the emulator throttles at least once.
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1")] }, { faults: { qps: 10 } });
    const client = api(emulator.url, { requestsPerSecond: 1000, concurrency: 8, startRequestsPerSecond: 50 });
    const rates: { before: number; after: number }[] = [];
    onThrottled = () => {
      // The client hands the answer to its pacer right after this event, in the same turn.
      const before = client.client.currentRequestsPerSecond;
      queueMicrotask(() => rates.push({ before, after: client.client.currentRequestsPerSecond }));
    };
    const answers = await Promise.all(Array.from({ length: 30 }, () => client.describeComputeUnits()));
    expect(answers).toHaveLength(30);
    const throttled = emulator.requestLog.filter((e) => e.fault === "qps-limit").length;
    expect(throttled).toBeGreaterThan(0);
    expect(throttled).toBeLessThan(10);
    expect(rates).toHaveLength(throttled);
    // Halved once per congestion: the first throttle of a run always is one.
    expect(rates[0]!.after).toBeLessThan(0.6 * rates[0]!.before);
  });

  it("asks for a listing's next page before the calls queued behind its first", async () => {
    // 250 tasks: three pages of 100. 40 calls are queued before the walk starts, at 20 a second.
    const tasks = Array.from({ length: 250 }, (_, i) => task(`task-${String(i).padStart(3, "0")}`));
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1")], batchTasks: tasks });
    const client = api(emulator.url, {
      requestsPerSecond: 20 / CEILING_SHARE,
      concurrency: 4,
      adaptive: false,
    });
    const queued = Array.from({ length: 40 }, () => client.describeComputeUnit("unit-1"));
    const listed = await client.describeBatchTasks();
    await Promise.all(queued);
    expect(listed).toHaveLength(250);
    const order = [...emulator.requestLog].sort((a, b) => a.seq - b.seq).map((e) => e.action);
    const pages = order.flatMap((action, i) => (action === "DescribeBatchInferenceTasks" ? [i] : []));
    expect(pages).toHaveLength(3);
    // In one queue the pages would come after the 40 calls (places 41–43): each page waited for
    // its turn behind them. Served first, each page costs the calls at most a few turns.
    expect(pages.at(-1)!).toBeLessThan(20);
  });

  it("never sends more requests per second than its ceiling, though the emulator allows more", async () => {
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1")] }, { faults: { qps: 1000 } });
    const client = api(emulator.url, { requestsPerSecond: 25, concurrency: 8, startRequestsPerSecond: 25 });
    await Promise.all(Array.from({ length: 40 }, () => client.describeComputeUnits()));
    const times = [...sentAt].sort((a, b) => a - b);
    expect(times).toHaveLength(40);
    expect(startsPerRollingSecond(times)).toBeLessThanOrEqual(26);
  });
});
