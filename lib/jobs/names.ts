// The jobs' names alone, for code that names a job without running it (the chat commands): it
// imports this file, not the jobs with their planners and globs.

export const SCALE_SERVICES = "scale-services";
export const TPM_WINDOWS = "tpm-windows";
export const RELEASE_UNITS = "release-units";
export const STOP_BATCH_TASKS = "stop-batch-tasks";

/** Every job by name, in the order `all` runs them. */
export const JOB_NAMES = [SCALE_SERVICES, TPM_WINDOWS, RELEASE_UNITS, STOP_BATCH_TASKS] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** True when `name` is a job this build knows. */
export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}
