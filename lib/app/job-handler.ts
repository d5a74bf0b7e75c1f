// The job functions' handler (functions/*.ts). Apart from lib/app/lambda.ts, which the chat worker
// shares: the worker logs on its own and carries no Powertools code.
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { processEnv } from "../config/runtime";
import type { JobEntry } from "./job-entries";
import {
  buildJobHandlerDeps,
  handleDoctorEvent,
  handleJobEvent,
  type JobHandlerDeps,
  parseDoctorEvent,
  parseJobEvent,
} from "./lambda";
import type { RunLogger, RunMetrics } from "./observability";

/**
 * The Lambda handler of one job: dependencies are built once per container and reused. An event
 * that cannot be used is refused (EventError) before anything is built or read.
 */
export function makeJobHandler(entry: JobEntry) {
  const job = entry.name;
  let deps: Promise<JobHandlerDeps> | undefined;
  return async (
    event: unknown,
    context?: { getRemainingTimeInMillis?: () => number; awsRequestId?: string },
  ) => {
    const doctor = parseDoctorEvent(event);
    if (!doctor) parseJobEvent(event);
    if (!deps) {
      const logger = new Logger({ serviceName: "qianfan-housekeeper" });
      const metrics = new Metrics({ namespace: "QianfanHousekeeper", serviceName: "qianfan-housekeeper" });
      deps = buildJobHandlerDeps(processEnv(), {
        jobs: [entry],
        logger: logger as unknown as RunLogger,
        metrics: metrics as unknown as RunMetrics,
      });
      // A failed cold start must not stick to the container: the next invocation tries again.
      deps.catch(() => {
        deps = undefined;
      });
    }
    if (doctor) return handleDoctorEvent(doctor, await deps, () => new Date());
    return handleJobEvent(job, event, await deps, context?.getRemainingTimeInMillis?.bind(context));
  };
}
