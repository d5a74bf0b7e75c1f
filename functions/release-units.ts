import { buildJobHandlerDeps, handleJobEvent } from "../lib/app/lambda";

const deps = buildJobHandlerDeps();

/** Scheduled or manual run of the release-units job; returns the run report. */
export const handler = async (event: unknown, context?: { getRemainingTimeInMillis?: () => number }) =>
  handleJobEvent("release-units", event, await deps, context?.getRemainingTimeInMillis?.bind(context));
