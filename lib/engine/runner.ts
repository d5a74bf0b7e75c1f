import { randomUUID } from "node:crypto";
import pLimit from "p-limit";
import { isQianfanError, type QianfanApi } from "../qianfan";
import type { JobMemory, StateStore } from "../state";
import { checkBlastRadius, checkListing, type GuardPolicy } from "./guards";
import type { AnyJob, JobContext, Planned } from "./job";
import type { ActionResult, Decision, DecisionReport, JobReport, JobTotals, RunReport } from "./types";

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
  /** Act only on these resource ids (a manual invocation's `only`). */
  only?: readonly string[];
  /** Milliseconds left before the caller's deadline (a Lambda's remaining time). */
  remainingMs?: () => number;
  /** No new action starts with less than this left. */
  deadlineReserveMs?: number;
  /** How long the run lock is leased for; renewed while the job works. */
  lockLeaseMs?: number;
  /** Write nothing at all (`qfhk plan`): no lock, no marks, no audit. */
  readOnly?: boolean;
  runId?: string;
  currency?: string;
  /** The wall clock, for lock leases and report times (tests may fix it). */
  clock?: () => Date;
  onJobReport?: (report: JobReport) => void;
}

const DEFAULT_LEASE_MS = 15 * 60_000;
const DEFAULT_RESERVE_MS = 20_000;

/**
 * Runs jobs the one way every trigger shares: lock → read inventory → check the listing → plan →
 * blast-radius guard → execute (or not, in dry run) → remember → report.
 */
export async function runJobs(options: RunOptions): Promise<RunReport> {
  const clock = options.clock ?? (() => new Date());
  const runId = options.runId ?? randomUUID();
  const startedAt = clock().toISOString();
  const reports: JobReport[] = [];
  for (const job of options.jobs) {
    const report = await runOneJob(job, options, runId, clock);
    options.onJobReport?.(report);
    reports.push(report);
  }
  return {
    runId,
    evaluatedAt: options.now.toISOString(),
    startedAt,
    finishedAt: clock().toISOString(),
    dryRun: options.dryRun,
    target: options.target,
    jobs: reports,
    currency: options.currency,
  };
}

async function runOneJob(
  job: AnyJob,
  options: RunOptions,
  runId: string,
  clock: () => Date,
): Promise<JobReport> {
  const ctx: JobContext = {
    api: options.api,
    store: options.store,
    memory: options.memory,
    now: options.now,
    runId,
    dryRun: options.dryRun || options.readOnly === true,
  };
  const lockName = `job:${job.name}`;
  const leaseMs = options.lockLeaseMs ?? DEFAULT_LEASE_MS;
  if (!options.readOnly) {
    const lock = await options.store.acquireLock(lockName, runId, leaseMs, clock());
    if (!lock.acquired) {
      return emptyReport(job.name, "locked", {
        error: {
          message: `another run holds the lock for ${job.name} (run ${lock.owner}, lease until ${lock.expiresAt.toISOString()}); nothing was done`,
        },
      });
    }
  }
  const renew = options.readOnly
    ? undefined
    : setInterval(() => {
        void options.store.renewLock(lockName, runId, leaseMs, clock()).catch(() => {});
      }, leaseMs / 3).unref();
  try {
    return await planAndExecute(job, ctx, options);
  } catch (error) {
    return emptyReport(job.name, "failed", { error: describeFailure(error) });
  } finally {
    if (renew) clearInterval(renew);
    if (!options.readOnly) await options.store.releaseLock(lockName, runId).catch(() => {});
  }
}

async function planAndExecute(job: AnyJob, ctx: JobContext, options: RunOptions): Promise<JobReport> {
  const inventory = await job.readInventory(ctx);
  const memo = await ctx.memory.getRunMemo(job.name);
  const guards = { ...options.guards, ...job.guards };
  const listing = checkListing(inventory, memo?.lastListingCount, guards);
  if (listing.stop) {
    await audit(ctx, options, job.name, "guard", "-", listing.stop.message, "skipped");
    return emptyReport(job.name, "stopped", { stoppedBy: listing.stop, warnings: listing.warnings });
  }
  const context = await job.loadContext(ctx, inventory);
  const planned: Planned<unknown> = job.plan(inventory, context, ctx.now);
  const decisions = restrictTo(planned.decisions, options.only);
  const stop = checkBlastRadius(decisions, inventory.fleetSize, guards);
  if (stop) {
    await audit(ctx, options, job.name, "guard", "-", stop.message, "skipped");
    return {
      ...emptyReport(job.name, "stopped", { stoppedBy: stop, warnings: listing.warnings }),
      decisions: decisions.map((d) =>
        d.verdict === "act" ? { ...d, outcome: { status: "skipped", message: stop.message } } : d,
      ),
      totals: totalsOf(decisions, new Map()),
    };
  }
  const results = await executeAll(job, ctx, decisions, options);
  if (!options.readOnly) {
    await job.remember(ctx, { ...planned, decisions }, results);
    await ctx.memory.putRunMemo(job.name, {
      lastRunAt: ctx.now.toISOString(),
      lastListingCount: inventory.items.length + inventory.invalid.length,
    });
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
    warnings: [...listing.warnings, ...(inventory.warnings ?? [])],
  };
}

/** Runs the `act` and `notice` decisions with bounded concurrency, watching the deadline. */
async function executeAll(
  job: AnyJob,
  ctx: JobContext,
  decisions: Decision[],
  options: RunOptions,
): Promise<Map<string, ActionResult>> {
  const results = new Map<string, ActionResult>();
  const limit = pLimit(Math.max(1, options.actionConcurrency ?? 4));
  const reserve = options.deadlineReserveMs ?? DEFAULT_RESERVE_MS;
  const tasks = decisions.map((decision) =>
    limit(async () => {
      if (decision.verdict === "keep") return;
      if (decision.verdict === "notice") {
        results.set(decision.resourceId, { status: ctx.dryRun ? "planned" : "noticed" });
        if (!ctx.dryRun)
          await audit(ctx, options, job.name, "notice", decision.resourceId, decision.reason, "noticed");
        return;
      }
      if (ctx.dryRun) {
        results.set(decision.resourceId, { status: "planned" });
        return;
      }
      if (options.remainingMs && options.remainingMs() < reserve) {
        results.set(decision.resourceId, {
          status: "deferred",
          message: "not started: the run's deadline is near; the next run picks it up",
        });
        return;
      }
      let result: ActionResult;
      try {
        result = await job.execute(ctx, decision);
      } catch (error) {
        result = { status: "failed", ...describeFailure(error) };
      }
      results.set(decision.resourceId, result);
      await audit(
        ctx,
        options,
        job.name,
        actionName(decision),
        decision.resourceId,
        decision.reason,
        result.status,
        result,
      );
    }),
  );
  await Promise.all(tasks);
  return results;
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

/** An error as a report carries it: message, code and requestId, no stack. */
export function describeFailure(error: unknown): {
  message: string;
  code?: string;
  requestId?: string;
  action?: string;
} {
  if (isQianfanError(error)) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message,
      code: typeof code === "string" ? code : undefined,
      requestId: error.requestId,
      action: error.action,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

async function audit(
  ctx: JobContext,
  options: RunOptions,
  job: string,
  action: string,
  resourceId: string,
  reason: string,
  outcome: "done" | "failed" | "skipped" | "deferred" | "planned" | "noticed",
  result?: ActionResult,
): Promise<void> {
  if (options.readOnly) return;
  const auditOutcome = outcome === "noticed" ? "planned" : outcome;
  await ctx.store
    .appendAudit({
      at: (options.clock ?? (() => new Date()))().toISOString(),
      runId: ctx.runId,
      job,
      action,
      resourceId,
      reason,
      outcome: auditOutcome,
      requestId: result?.requestId,
      detail: result?.observed ?? result?.message,
      dryRun: ctx.dryRun,
    })
    .catch(() => {});
}
