import type { HousekeepingConfig } from "../config/runtime";
import type { Clock } from "../engine/clock";
import type { GuardPolicy } from "../engine/guards";
import { runJobs } from "../engine/runner";
import type { JobReport, RunReport } from "../engine/types";
import type { QianfanApi } from "../qianfan";
import type { StateStore } from "../state";
import { JobMemory } from "../state/job-memory";
import type { JobEntry } from "./job-entries";

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
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "UnknownJobError";
  override name = "UnknownJobError";
}

/**
 * {@link runHousekeeping} with the jobs given: a job's function passes its own job alone, so its
 * bundle holds no other job's code.
 */
export async function runSelectedJobs(
  entries: readonly JobEntry[],
  request: HousekeepingRequest,
): Promise<RunReport> {
  const { config } = request;
  const selected =
    request.job === "all"
      ? entries.filter((entry) => entry.enabled(config))
      : entries.filter((entry) => entry.name === request.job);
  if (request.job !== "all" && selected.length === 0) {
    throw new UnknownJobError(
      `unknown job '${request.job}'; jobs: ${entries.map((entry) => entry.name).join(", ")}, or all`,
    );
  }
  const jobs = selected.map((entry) => entry.build(config));
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
