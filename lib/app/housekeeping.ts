import type { RunReport } from "../engine/types";
import { ALL_JOBS } from "./job-entries";
import { type HousekeepingRequest, runSelectedJobs } from "./run-jobs";

export { type HousekeepingRequest, UnknownJobError } from "./run-jobs";

/** The one entry every trigger uses (CLI, scheduled and manual Lambda invocations, chat): every job. */
export function runHousekeeping(request: HousekeepingRequest): Promise<RunReport> {
  return runSelectedJobs(ALL_JOBS, request);
}

/** 0 when every job ran and every action held; 1 on a failure; 3 when a guard or a lock stopped a job. */
export function exitCodeOf(report: RunReport): number {
  if (report.jobs.some((j) => j.status === "failed" || j.totals.failed > 0)) return 1;
  if (report.jobs.some((j) => j.status === "stopped" || j.status === "locked")) return 3;
  return 0;
}
