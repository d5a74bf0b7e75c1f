import type { AnyJob } from "../engine/job";
import type { BatchTask, ComputeUnit } from "../qianfan";
import type { JobName } from "./names";
import { RELEASE_UNITS, releaseUnitsJob } from "./release-units/job";
import type { ReleaseUnitsPolicy } from "./release-units/plan";
import { SCALE_SERVICES, type ScaleServicesJobOptions, scaleServicesJob } from "./scale-services/job";
import { STOP_BATCH_TASKS, stopBatchTasksJob } from "./stop-batch-tasks/job";
import type { StopBatchTasksPolicy } from "./stop-batch-tasks/plan";
import { TPM_WINDOWS, type TpmWindowsJobOptions, tpmWindowsJob } from "./tpm-windows/job";

export { isJobName, JOB_NAMES, type JobName } from "./names";
export { lastLookBeforeRelease, RELEASE_UNITS, releaseUnitsJob } from "./release-units/job";
export type { ReleaseUnitsPolicy, UnitMark } from "./release-units/plan";
export { planUnitReleases } from "./release-units/plan";
export { roomFor, SCALE_SERVICES, scaleServicesJob } from "./scale-services/job";
export { planScaling } from "./scale-services/plan";
export { STOP_BATCH_TASKS, stopBatchTasksJob } from "./stop-batch-tasks/job";
export type { StopBatchTasksPolicy } from "./stop-batch-tasks/plan";
export { limitsFor, planTaskStops, taskStartTime } from "./stop-batch-tasks/plan";
export { TPM_WINDOWS, tpmWindowsJob } from "./tpm-windows/job";
export { formatReleaseTime, planTpmWindows } from "./tpm-windows/plan";

export interface JobSettings {
  releaseUnits: {
    enabled: boolean;
    policy: ReleaseUnitsPolicy;
    protectedBy: (unit: ComputeUnit) => string | undefined;
  };
  stopBatchTasks: {
    enabled: boolean;
    policy: StopBatchTasksPolicy;
    protectedBy: (task: BatchTask) => string | undefined;
  };
  scaleServices: { enabled: boolean } & ScaleServicesJobOptions;
  tpmWindows: { enabled: boolean } & TpmWindowsJobOptions;
}

/** Builds the jobs a run asks for (`all` = every enabled job, in {@link JOB_NAMES} order). */
export function buildJobs(selection: string, settings: JobSettings): AnyJob[] {
  const jobs: Array<{ name: JobName; enabled: boolean; make: () => AnyJob }> = [
    {
      name: SCALE_SERVICES,
      enabled: settings.scaleServices.enabled,
      make: () => scaleServicesJob(settings.scaleServices),
    },
    {
      name: TPM_WINDOWS,
      enabled: settings.tpmWindows.enabled,
      make: () => tpmWindowsJob(settings.tpmWindows),
    },
    {
      name: RELEASE_UNITS,
      enabled: settings.releaseUnits.enabled,
      make: () => releaseUnitsJob(settings.releaseUnits),
    },
    {
      name: STOP_BATCH_TASKS,
      enabled: settings.stopBatchTasks.enabled,
      make: () => stopBatchTasksJob(settings.stopBatchTasks),
    },
  ];
  if (selection === "all") return jobs.filter((j) => j.enabled).map((j) => j.make());
  const job = jobs.find((j) => j.name === selection);
  return job ? [job.make()] : [];
}
