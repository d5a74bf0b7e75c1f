import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import type { QianfanApi } from "../qianfan";
import type { AuditRecord, JobMemory, StateStore } from "../state";
import { actInBatches, type PlannedListing } from "./batch";
import { type Clock, isWhatIf, systemClock, WHAT_IF_TOLERANCE_MS } from "./clock";
import { describeFailure } from "./failure";
import { checkBlastRadius, checkListing, type GuardPolicy } from "./guards";
import type { AnyJob, Inventory, JobContext, Planned } from "./job";
import type { ActionResult, Decision, DecisionReport, JobReport, JobTotals, RunReport } from "./types";

export { describeFailure } from "./failure";

export interface RunOptions {
  jobs: AnyJob[];
  api: QianfanApi;
  store: StateStore;
  memory: JobMemory;
  guards: GuardPolicy;
  /** The instant the rules are evaluated at. */
  now: Date;
  dryRun: boolean;
  /** Where the calls go, for the report. */
  target: string;
  /** Actions running at once. */
  actionConcurrency?: number;
  /** How long after its last answer a listing may be acted on (default 5 s, `LISTING_FRESH_MS`). */
  listingFreshMs?: number;
  /** Act only on these resource ids (a manual invocation's `only`). */
  only?: readonly string[];
  /** Milliseconds left before the caller's deadline (a Lambda's remaining time). */
  remainingMs?: () => number;
  /** No new action starts with less than this left (on top of {@link RunOptions.actionWorstCaseMs}). */
  deadlineReserveMs?: number;
  /**
   * The longest one call of an action can take (timeouts × attempts and backoff): an action starts
   * only when this and the reserve still fit before the deadline.
   */
  actionWorstCaseMs?: number;
  /** Kept free at the end of the time for remembering, reporting and releasing the lock. */
  finalReserveMs?: number;
  /**
   * How long the run lock is leased for; renewed while the job works. Default: what is left of the
   * caller's time plus a minute (so a killed run never blocks the next scheduled one), else 5 min.
   */
  lockLeaseMs?: number;
  /** Write nothing at all (`qfhk plan`): no lock, no marks, no audit. */
  readOnly?: boolean;
  /**
   * A rehearsal (`--simulate`, on an emulator or a copy of the state): `now` may be far from the
   * real time and the run still acts and remembers, as of `now`; `clock` must follow `now`.
   */
  simulated?: boolean;
  runId?: string;
  currency?: string;
  /** The clock for lock leases, audit and report times; a rehearsal passes its simulated clock. */
  clock?: Clock;
  onJobReport?: (report: JobReport) => void;
  /** Called as actions finish, for progress on a terminal. */
  onProgress?: (progress: { job: string; done: number; total: number }) => void;
}

const DEFAULT_LEASE_MS = 5 * 60_000;
const LEASE_MARGIN_MS = 60_000;
const DEFAULT_RESERVE_MS = 20_000;
const DEFAULT_FINAL_RESERVE_MS = 5_000;
/**
 * Audit records are written in batches of at most this many, or every {@link AUDIT_FLUSH_MS}: a
 * crash loses at most one batch of the trail. The trail is never read to decide an action (a
 * repeated action is prevented by what the platform shows: a released unit is no longer Running),
 * so a lost batch costs history, never a second action.
 */
export const AUDIT_BATCH = 250;
const AUDIT_FLUSH_MS = 2_000;

/** A run that would act, or write, as of another moment than now without being a rehearsal. */
export class WhatIfError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "WhatIfError";
  override name = "WhatIfError";
}

/** What one job's run needs besides the options: the run's id, clock, deadline and api. */
interface RunScope {
  runId: string;
  clock: Clock;
  /** Calls of this run carry the deadline (cancelled when it passes). */
  api: QianfanApi;
  /** Milliseconds left before the deadline minus the final reserve; Infinity without a deadline. */
  timeLeft: () => number;
  deadline: AbortSignal | undefined;
  readOnly: boolean;
}

/**
 * Runs jobs the one way every trigger shares: lock → read inventory → check the listing → plan →
 * blast-radius guard → execute (or not, in dry run) → remember → report.
 */
export async function runJobs(options: RunOptions): Promise<RunReport> {
  const clock = options.clock ?? systemClock;
  const runId = options.runId ?? randomUUID();
  const startedAt = clock().toISOString();
  // A run as of another moment is a what-if: it may look, never act or write. Only a rehearsal
  // (whose own clock follows `now`) may act as of another moment.
  const whatIf = isWhatIf(options.now, clock);
  if (whatIf && options.simulated) {
    throw new WhatIfError(
      `a simulated run's clock must follow its evaluation instant (${options.now.toISOString()}); it reads ${clock().toISOString()}`,
    );
  }
  if (whatIf && !options.dryRun && !options.readOnly) {
    throw new WhatIfError(
      `refusing to act as of ${options.now.toISOString()}: that is more than ${WHAT_IF_TOLERANCE_MS / 1000} s from the clock (${clock().toISOString()}); a run as of another moment is a dry run that records nothing, or a rehearsal on an emulator (--simulate)`,
    );
  }
  const readOnly = options.readOnly === true || whatIf;
  const deadline = watchDeadline(options);
  const scope: RunScope = {
    runId,
    clock,
    api: deadline.signal
      ? options.api.withCallDefaults({ signal: deadline.signal, remainingMs: deadline.timeLeft })
      : options.api,
    timeLeft: deadline.timeLeft,
    deadline: deadline.signal,
    readOnly,
  };
  let reports: JobReport[];
  try {
    reports = await runSideBySide(options.jobs, (job) => runOneJob(job, options, scope), options.onJobReport);
  } finally {
    deadline.stop();
  }
  return {
    runId,
    evaluatedAt: options.now.toISOString(),
    startedAt,
    finishedAt: clock().toISOString(),
    dryRun: options.dryRun || readOnly,
    ...(whatIf ? { whatIf: true } : {}),
    ...(options.simulated ? { simulated: true } : {}),
    recorded: !readOnly,
    target: options.target,
    jobs: reports,
    currency: options.currency,
  };
}

/** Whether two jobs may run at the same time: each names what it touches, and they share none of it. */
function mayOverlap(a: AnyJob, b: AnyJob): boolean {
  if (!a.touches || !b.touches) return false;
  return !a.touches.some((kind) => b.touches!.includes(kind));
}

/**
 * Runs `jobs` in their order, each one as soon as every job before it that it may not overlap
 * ({@link mayOverlap}) has finished: the jobs of different resources share the client's rate
 * instead of leaving it idle while one lists and plans. Reports come back, and `onReport` is
 * called as each is known, in the jobs' order; the run ends only once every job has.
 */
async function runSideBySide(
  jobs: readonly AnyJob[],
  run: (job: AnyJob) => Promise<JobReport>,
  onReport?: (report: JobReport) => void,
): Promise<JobReport[]> {
  const finished: Promise<JobReport>[] = [];
  for (const job of jobs) {
    const before = finished.filter((_, i) => !mayOverlap(jobs[i]!, job));
    const report = Promise.allSettled(before).then(() => run(job));
    // Met below in order; until then a failure must not count as unhandled.
    report.catch(() => {});
    finished.push(report);
  }
  const reports: JobReport[] = [];
  const failures: unknown[] = [];
  for (const report of finished) {
    try {
      reports.push(await report);
      onReport?.(reports.at(-1)!);
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw failures[0];
  return reports;
}

/**
 * The run's deadline: time left (minus the final reserve, kept for remembering and reporting)
 * and a signal that cancels every call still in flight when it passes.
 */
function watchDeadline(options: RunOptions): {
  signal: AbortSignal | undefined;
  timeLeft: () => number;
  stop: () => void;
} {
  const remaining = options.remainingMs;
  if (!remaining) return { signal: undefined, timeLeft: () => Number.POSITIVE_INFINITY, stop: () => {} };
  const reserve = options.finalReserveMs ?? DEFAULT_FINAL_RESERVE_MS;
  const timeLeft = () => remaining() - reserve;
  const controller = new AbortController();
  const reason = new Error("the run's deadline passed; the call was cut off");
  const timer = setTimeout(() => controller.abort(reason), Math.max(0, timeLeft()));
  timer.unref?.();
  if (timeLeft() <= 0) controller.abort(reason);
  return { signal: controller.signal, timeLeft, stop: () => clearTimeout(timer) };
}

/** The lease of a job's lock: what is left of the caller's time plus a margin, else the default. */
function leaseOf(options: RunOptions): number {
  if (options.lockLeaseMs !== undefined) return options.lockLeaseMs;
  if (options.remainingMs) return Math.max(0, options.remainingMs()) + LEASE_MARGIN_MS;
  return DEFAULT_LEASE_MS;
}

async function runOneJob(job: AnyJob, options: RunOptions, scope: RunScope): Promise<JobReport> {
  const ctx: JobContext = {
    api: scope.api,
    store: options.store,
    memory: options.memory,
    now: options.now,
    runId: scope.runId,
    dryRun: options.dryRun || scope.readOnly,
  };
  const trail = new Trail(ctx, options, scope, job.name);
  const lockName = `job:${job.name}`;
  if (!scope.readOnly) {
    let lock: Awaited<ReturnType<StateStore["acquireLock"]>>;
    try {
      lock = await options.store.acquireLock(lockName, scope.runId, leaseOf(options), scope.clock());
    } catch (error) {
      return emptyReport(job.name, "failed", {
        error: {
          message: `could not take the run lock: ${describeFailure(error).message}; nothing was done`,
        },
      });
    }
    if (!lock.acquired) {
      return emptyReport(job.name, "locked", {
        error: {
          message: `another run holds the lock for ${job.name} (run ${lock.owner}, lease until ${lock.expiresAt.toISOString()}); nothing was done`,
        },
      });
    }
  }
  const renew = scope.readOnly
    ? undefined
    : setInterval(
        () => {
          options.store.renewLock(lockName, scope.runId, leaseOf(options), scope.clock()).catch((error) => {
            trail.failures.push(`could not renew the run lock: ${describeFailure(error).message}`);
          });
        },
        Math.max(1000, leaseOf(options) / 3),
      ).unref();
  let report: JobReport;
  try {
    report = await planAndExecute(job, ctx, options, scope, trail);
  } catch (error) {
    report = emptyReport(job.name, "failed", { error: describeFailure(error) });
  } finally {
    if (renew) clearInterval(renew);
    await trail.flush();
  }
  if (!scope.readOnly) {
    await options.store.releaseLock(lockName, scope.runId).catch((error) => {
      report.warnings.push(
        `could not release the run lock (${describeFailure(error).message}); it lapses by itself within ${Math.round(leaseOf(options) / 1000)} s`,
      );
    });
  }
  return withStateFailures(report, trail.failures);
}

/** A job whose state writes failed still reports every action it sent; the failure makes it failed. */
function withStateFailures(report: JobReport, failures: string[]): JobReport {
  if (failures.length === 0) return report;
  const message = `the state store failed: ${failures.slice(0, 3).join("; ")}${failures.length > 3 ? ` (and ${failures.length - 3} more)` : ""}; what was sent is listed with its outcome, and the next run reads the platform again`;
  return {
    ...report,
    status: "failed",
    error: report.error ?? { message },
    stateErrors: failures,
  };
}

async function planAndExecute(
  job: AnyJob,
  ctx: JobContext,
  options: RunOptions,
  scope: RunScope,
  trail: Trail,
): Promise<JobReport> {
  const startedMs = performance.now();
  let inventory: Inventory<unknown> | undefined = await job.readInventory(ctx);
  // The plan's listing serves as the first batch's last look while it is fresh. It is held here
  // only until then (the batches take it out), so a large fleet's listing is not kept through
  // every batch beside the listings made for them.
  const planned: PlannedListing = { listing: { inventory, startedMs, listedMs: performance.now() } };
  const listingCount = inventory.items.length + inventory.invalid.length;
  const inventoryWarnings = inventory.warnings ?? [];
  const memo = await ctx.memory.getRunMemo(job.name);
  const guards = { ...options.guards, ...job.guards };
  const listing = checkListing(inventory, memo?.lastListingCount, guards);
  if (listing.stop) {
    await trail.record("guard", "-", listing.stop.message, "skipped");
    return emptyReport(job.name, "stopped", { stoppedBy: listing.stop, warnings: listing.warnings });
  }
  const context = await job.loadContext(ctx, inventory);
  const plan: Planned<unknown> = await job.plan(inventory, context, ctx.now);
  const decisions = restrictTo(plan.decisions, options.only);
  const stop = checkBlastRadius(decisions, inventory.fleetSize, guards);
  inventory = undefined;
  if (stop) {
    await trail.record("guard", "-", stop.message, "skipped");
    return {
      ...emptyReport(job.name, "stopped", { stoppedBy: stop, warnings: listing.warnings }),
      decisions: decisions.map((d) =>
        d.verdict === "act" ? { ...d, outcome: { status: "skipped", message: stop.message } } : d,
      ),
      totals: totalsOf(decisions, new Map()),
    };
  }
  const results = await executeAll(job, ctx, decisions, planned, options, scope, trail);
  // What was done is on the trail before the job remembers it.
  await trail.flush();
  if (!scope.readOnly) {
    try {
      await job.remember(ctx, { ...plan, decisions }, results);
      await ctx.memory.putRunMemo(job.name, {
        lastRunAt: ctx.now.toISOString(),
        lastListingCount: listingCount,
      });
    } catch (error) {
      trail.failures.push(`remembering this run failed: ${describeFailure(error).message}`);
    }
  }
  const reports: DecisionReport[] = decisions.map((d) => {
    const outcome = results.get(d.resourceId);
    return outcome ? { ...d, outcome } : d;
  });
  return {
    job: job.name,
    status: "ok",
    decisions: reports,
    totals: totalsOf(decisions, results),
    warnings: [...listing.warnings, ...inventoryWarnings],
  };
}

/**
 * Runs the `act` and `notice` decisions with bounded concurrency, watching the deadline. A job that
 * acts on listed resources ({@link Job.listed}) acts in batches between listings ({@link actInBatches}).
 */
async function executeAll(
  job: AnyJob,
  ctx: JobContext,
  decisions: Decision[],
  planned: PlannedListing,
  options: RunOptions,
  scope: RunScope,
  trail: Trail,
): Promise<Map<string, ActionResult>> {
  const results = new Map<string, ActionResult>();
  const concurrency = Math.max(1, options.actionConcurrency ?? 8);
  const limit = pLimit(concurrency);
  // An action starts only when its slowest call, and the reserve, still fit before the deadline.
  const needed = (options.deadlineReserveMs ?? DEFAULT_RESERVE_MS) + (options.actionWorstCaseMs ?? 0);
  const mustNotStart = () =>
    scope.timeLeft() < needed
      ? `not started: ${Math.max(0, Math.round(scope.timeLeft() / 1000))} s left before the deadline, less than one action may need (${Math.round(needed / 1000)} s); the next run picks it up`
      : undefined;
  const total = decisions.filter((d) => d.verdict !== "keep").length;
  let finished = 0;
  const finish = () => {
    finished += 1;
    options.onProgress?.({ job: job.name, done: finished, total });
  };
  const acted = async (decision: Decision, result: ActionResult) => {
    results.set(decision.resourceId, result);
    if (result.status === "deferred") return finish();
    await trail.record(actionName(decision), decision.resourceId, decision.reason, result.status, result);
    finish();
  };
  const batched: Decision[] = [];
  // Only what is acted on or announced is queued: a promise per kept resource of a large fleet
  // would be held until the last action is done.
  const queued = decisions.filter((decision) => decision.verdict !== "keep");
  const tasks = queued.map((decision) =>
    limit(async () => {
      if (decision.verdict === "keep") return;
      if (decision.verdict === "notice") {
        results.set(decision.resourceId, { status: ctx.dryRun ? "planned" : "noticed" });
        if (!ctx.dryRun) await trail.record("notice", decision.resourceId, decision.reason, "noticed");
      } else if (ctx.dryRun) {
        results.set(decision.resourceId, { status: "planned" });
      } else if (job.listed) {
        return void batched.push(decision);
      } else {
        const stop = mustNotStart();
        if (stop) return acted(decision, { status: "deferred", message: stop });
        return acted(decision, await executeBounded(job, ctx, decision, scope));
      }
      finish();
    }),
  );
  await Promise.all(tasks);
  if (batched.length > 0) {
    const order = new Map(decisions.map((d, i) => [d, i]));
    batched.sort((a, b) => order.get(a)! - order.get(b)!);
    await actInBatches({
      job: job as AnyJob & { listed: NonNullable<AnyJob["listed"]> },
      ctx,
      decisions: batched,
      planned,
      freshMs: options.listingFreshMs,
      concurrency,
      mustNotStart,
      bounded: (send) => boundedByDeadline(send, scope),
      onResult: acted,
    });
  }
  return results;
}

/** One action, never past the deadline: when it passes, the action is reported as cut off. */
async function executeBounded(
  job: AnyJob,
  ctx: JobContext,
  decision: Decision,
  scope: RunScope,
): Promise<ActionResult> {
  if (!job.execute) return { status: "failed", message: `${job.name} has no way to act on one resource` };
  const run = job
    .execute(ctx, decision)
    .catch((error): ActionResult => ({ status: "failed", ...describeFailure(error) }));
  return boundedByDeadline(run, scope);
}

/** `work`, or — when the run's deadline passes first — a result saying the action was cut off in flight. */
async function boundedByDeadline<T>(work: Promise<T>, scope: RunScope): Promise<T | ActionResult> {
  const signal = scope.deadline;
  if (!signal) return work;
  let onAbort: (() => void) | undefined;
  const cutOff = new Promise<ActionResult>((resolve) => {
    onAbort = () =>
      resolve({
        status: "failed",
        code: "DeadlineReached",
        message:
          "cut off by the run's deadline while in flight; whether the platform applied it is unknown, and the next run looks again",
      });
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cutOff]);
  } finally {
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

function actionName(decision: Decision): string {
  const type = (decision.action as { type?: unknown } | undefined)?.type;
  return typeof type === "string" ? type : decision.rule;
}

/** With `only`, every other resource's action becomes a keep, so nothing else is touched. */
function restrictTo(decisions: Decision[], only: readonly string[] | undefined): Decision[] {
  if (!only) return decisions;
  const wanted = new Set(only);
  return decisions.map((d) =>
    d.verdict === "keep" || wanted.has(d.resourceId)
      ? d
      : {
          ...d,
          verdict: "keep",
          rule: "not-selected",
          reason: `${d.reason} — not in the selected resources`,
          action: undefined,
        },
  );
}

function totalsOf(decisions: Decision[], results: Map<string, ActionResult>): JobTotals {
  const totals: JobTotals = {
    resources: decisions.length,
    planned: decisions.filter((d) => d.verdict === "act").length,
    done: 0,
    failed: 0,
    skipped: 0,
    deferred: 0,
    noticed: 0,
    computeUnitsReleased: 0,
  };
  let saving = 0;
  let priced = false;
  for (const d of decisions) {
    const outcome = results.get(d.resourceId);
    if (!outcome) continue;
    if (outcome.status === "done") {
      totals.done += 1;
      totals.computeUnitsReleased += d.computeUnits ?? 0;
      if (d.savingPerHour !== undefined) {
        saving += d.savingPerHour;
        priced = true;
      }
    } else if (outcome.status === "failed") totals.failed += 1;
    else if (outcome.status === "skipped") totals.skipped += 1;
    else if (outcome.status === "deferred") totals.deferred += 1;
    else if (outcome.status === "noticed") totals.noticed += 1;
  }
  if (priced) totals.savingPerHour = Math.round(saving * 100) / 100;
  return totals;
}

function emptyReport(job: string, status: JobReport["status"], extra: Partial<JobReport> = {}): JobReport {
  return { job, status, decisions: [], totals: totalsOf([], new Map()), warnings: [], ...extra };
}

/**
 * The audit trail of one job's run, written in batches ({@link AUDIT_BATCH}). A write that fails
 * is never swallowed: it is kept in `failures` and the job's report says so.
 */
class Trail {
  readonly failures: string[] = [];
  #pending: AuditRecord[] = [];
  #firstPendingAt = 0;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    readonly ctx: JobContext,
    readonly options: RunOptions,
    readonly scope: RunScope,
    readonly job: string,
  ) {}

  async record(
    action: string,
    resourceId: string,
    reason: string,
    outcome: "done" | "failed" | "skipped" | "deferred" | "planned" | "noticed",
    result?: ActionResult,
  ): Promise<void> {
    if (this.scope.readOnly) return;
    if (this.#pending.length === 0) this.#firstPendingAt = performance.now();
    this.#pending.push({
      at: this.scope.clock().toISOString(),
      runId: this.ctx.runId,
      job: this.job,
      action,
      resourceId,
      reason,
      outcome: outcome === "noticed" ? "planned" : outcome,
      requestId: result?.requestId,
      detail: result?.observed ?? result?.message,
      dryRun: this.ctx.dryRun,
      ...(this.options.simulated ? { simulated: true } : {}),
    });
    if (this.#pending.length >= AUDIT_BATCH || performance.now() - this.#firstPendingAt >= AUDIT_FLUSH_MS) {
      await this.flush();
    }
  }

  /** Writes what is pending, after any write already under way; a failure lands in `failures`. */
  flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return this.#writing;
    this.#writing = this.#writing.then(async () => {
      try {
        await this.ctx.store.appendAuditBatch(batch);
      } catch (error) {
        const named = batch.slice(0, 3).map((r) => `${r.action} ${r.resourceId}`);
        const more = batch.length > 3 ? ` and ${batch.length - 3} more` : "";
        this.failures.push(
          `the audit records of ${named.join(", ")}${more} were not written: ${describeFailure(error).message}`,
        );
      }
    });
    return this.#writing;
  }
}
