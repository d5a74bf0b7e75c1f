import {
  effectiveProtections,
  type HousekeepingConfig,
  taskProtection,
  unitProtection,
} from "../config/runtime";
import type { Clock } from "../engine/clock";
import type { GuardPolicy } from "../engine/guards";
import { runJobs } from "../engine/runner";
import type { JobReport, RunReport } from "../engine/types";
import { buildJobs, isJobName, JOB_NAMES } from "../jobs";
import type { QianfanApi } from "../qianfan";
import { buildCalendar, parseSchedule } from "../schedule";
import { JobMemory, type StateStore } from "../state";

export interface HousekeepingRequest {
  config: HousekeepingConfig;
  api: QianfanApi;
  store: StateStore;
  /** A job name or `all`. */
  job: string;
  dryRun: boolean;
  now: Date;
  target: string;
  only?: readonly string[];
  remainingMs?: () => number;
  /** `plan`: decide and report, write nothing. */
  readOnly?: boolean;
  /** A rehearsal on an emulator or a copy of the state, acting as of `now` (`clock` follows it). */
  simulated?: boolean;
  /** The clock of locks, audit and report times (a rehearsal's simulated clock). */
  clock?: Clock;
  onJobReport?: (report: JobReport) => void;
  onProgress?: (progress: { job: string; done: number; total: number }) => void;
}

export class UnknownJobError extends Error {
  override name = "UnknownJobError";
}

/** The one entry every trigger uses (CLI, scheduled and manual Lambda invocations, chat). */
export async function runHousekeeping(request: HousekeepingRequest): Promise<RunReport> {
  if (request.job !== "all" && !isJobName(request.job)) {
    throw new UnknownJobError(`unknown job '${request.job}'; jobs: ${JOB_NAMES.join(", ")}, or all`);
  }
  const { config } = request;
  const release = config.jobs["release-units"];
  const tasks = config.jobs["stop-batch-tasks"];
  const scaling = config.jobs["scale-services"];
  const tpm = config.jobs["tpm-windows"];
  const calendar = buildCalendar(config.calendar.holidays, config.calendar.workdays);
  const prices = config.pricing?.perComputeUnitHour;
  const jobs = buildJobs(request.job, {
    releaseUnits: {
      enabled: release.enabled,
      policy: {
        minAgeMs: release.minAge,
        idleForMs: release.idleFor,
        maxAgeMs: release.maxAge,
        noticeForMs: release.notice.enabled ? release.notice.noticeFor : undefined,
        regions: release.regions,
        pricePerUnitHour: prices ? (type) => prices[type] ?? prices.default : undefined,
        timeZone: config.timezone,
      },
      // A unit that scale-services parks at zero overnight looks idle; it must still be there at 08:00.
      protectedBy: unitProtection([
        ...effectiveProtections(release.protect),
        ...scaling.services.map((b) => ({ instanceId: b.instanceId, reason: "parked by scale-services" })),
      ]),
    },
    scaleServices: {
      enabled: scaling.enabled,
      policy: { graceMs: scaling.grace, timeZone: config.timezone, calendar },
      maxConcurrentRestores: scaling.maxConcurrentRestores,
      guards: scaling.guards,
      bindings: scaling.services.map((b) => ({
        serviceId: b.serviceId,
        name: b.name,
        instanceId: b.instanceId,
        schedule: parseSchedule((b.uptime ?? b.downtime)!),
        scheduleIsUptime: b.uptime !== undefined,
        downReplicas: b.downReplicas,
        upReplicas: b.upReplicas,
        computeUnitsPerReplica: b.computeUnitsPerReplica,
      })),
    },
    tpmWindows: {
      enabled: tpm.enabled,
      timeZone: config.timezone,
      calendar,
      maxLivePurchaseCount: tpm.maxLivePurchaseCount,
      purchaseSettleMs: tpm.purchaseSettle,
      guards: tpm.guards,
      windows: tpm.windows.map((w) => ({ ...w, schedule: parseSchedule(w.schedule) })),
    },
    stopBatchTasks: {
      enabled: tasks.enabled,
      policy: {
        maxRuntimeMs: tasks.maxRuntime,
        maxQueuedMs: tasks.maxQueued,
        limits: tasks.limits,
        noticeForMs: tasks.notice.enabled ? tasks.notice.noticeFor : undefined,
        timeZone: config.timezone,
      },
      protectedBy: taskProtection(tasks.protect),
    },
  });
  const guards: GuardPolicy = config.guards;
  return runJobs({
    jobs,
    api: request.api,
    store: request.store,
    memory: new JobMemory(request.store),
    guards,
    now: request.now,
    dryRun: request.dryRun,
    target: request.target,
    actionConcurrency: config.guards.actionConcurrency,
    only: request.only,
    remainingMs: request.remainingMs,
    // A test's stand-in api has no client: its calls then take no time worth reserving.
    actionWorstCaseMs: request.api.client?.worstCaseCallMs(),
    readOnly: request.readOnly,
    simulated: request.simulated,
    clock: request.clock,
    currency: config.pricing?.currency,
    onJobReport: request.onJobReport,
    onProgress: request.onProgress,
  });
}

/** 0 when every job ran and every action held; 1 on a failure; 3 when a guard or a lock stopped a job. */
export function exitCodeOf(report: RunReport): number {
  if (report.jobs.some((j) => j.status === "failed" || j.totals.failed > 0)) return 1;
  if (report.jobs.some((j) => j.status === "stopped" || j.status === "locked")) return 3;
  return 0;
}
