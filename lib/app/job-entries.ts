import {
  effectiveProtections,
  type HousekeepingConfig,
  taskProtection,
  unitProtection,
} from "../config/runtime";
import type { AnyJob } from "../engine/job";
import { RELEASE_UNITS, releaseUnitsJob } from "../jobs/release-units/job";
import { SCALE_SERVICES, scaleServicesJob } from "../jobs/scale-services/job";
import { STOP_BATCH_TASKS, stopBatchTasksJob } from "../jobs/stop-batch-tasks/job";
import { TPM_WINDOWS, tpmWindowsJob } from "../jobs/tpm-windows/job";
import { buildCalendar, parseSchedule } from "../schedule";

/**
 * One job as a run builds it from the config. Each is its own export, so a job's function bundles
 * its job alone (functions/*.ts); the CLI and chat run them all ({@link ALL_JOBS}).
 */
export interface JobEntry {
  name: string;
  enabled(config: HousekeepingConfig): boolean;
  build(config: HousekeepingConfig): AnyJob;
}

const calendarOf = (config: HousekeepingConfig) =>
  buildCalendar(config.calendar.holidays, config.calendar.workdays);

export const scaleServices: JobEntry = {
  name: SCALE_SERVICES,
  enabled: (config) => config.jobs["scale-services"].enabled,
  build: (config) => {
    const scaling = config.jobs["scale-services"];
    return scaleServicesJob({
      policy: { graceMs: scaling.grace, timeZone: config.timezone, calendar: calendarOf(config) },
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
    });
  },
};

export const tpmWindows: JobEntry = {
  name: TPM_WINDOWS,
  enabled: (config) => config.jobs["tpm-windows"].enabled,
  build: (config) => {
    const tpm = config.jobs["tpm-windows"];
    return tpmWindowsJob({
      timeZone: config.timezone,
      calendar: calendarOf(config),
      maxLivePurchaseCount: tpm.maxLivePurchaseCount,
      purchaseSettleMs: tpm.purchaseSettle,
      guards: tpm.guards,
      windows: tpm.windows.map((w) => ({ ...w, schedule: parseSchedule(w.schedule) })),
    });
  },
};

export const releaseUnits: JobEntry = {
  name: RELEASE_UNITS,
  enabled: (config) => config.jobs["release-units"].enabled,
  build: (config) => {
    const release = config.jobs["release-units"];
    const prices = config.pricing?.perComputeUnitHour;
    return releaseUnitsJob({
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
        ...config.jobs["scale-services"].services.map((b) => ({
          instanceId: b.instanceId,
          reason: "parked by scale-services",
        })),
      ]),
    });
  },
};

export const stopBatchTasks: JobEntry = {
  name: STOP_BATCH_TASKS,
  enabled: (config) => config.jobs["stop-batch-tasks"].enabled,
  build: (config) => {
    const tasks = config.jobs["stop-batch-tasks"];
    return stopBatchTasksJob({
      policy: {
        maxRuntimeMs: tasks.maxRuntime,
        maxQueuedMs: tasks.maxQueued,
        limits: tasks.limits,
        noticeForMs: tasks.notice.enabled ? tasks.notice.noticeFor : undefined,
        timeZone: config.timezone,
      },
      protectedBy: taskProtection(tasks.protect),
    });
  },
};

/** Every job, in the order `all` runs them (lib/jobs JOB_NAMES). */
export const ALL_JOBS: readonly JobEntry[] = [scaleServices, tpmWindows, releaseUnits, stopBatchTasks];
