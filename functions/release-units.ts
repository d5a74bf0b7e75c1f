import { releaseUnits } from "../lib/app/job-entries";
import { makeJobHandler } from "../lib/app/job-handler";

/** The release-units job on a schedule, on a manual event, or on a chat-ops request; returns the run report. */
export const handler = makeJobHandler(releaseUnits);
