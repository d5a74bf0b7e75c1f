import { tpmWindows } from "../lib/app/job-entries";
import { makeJobHandler } from "../lib/app/job-handler";

/** The tpm-windows job on a schedule, on a manual event, or on a chat-ops request; returns the run report. */
export const handler = makeJobHandler(tpmWindows);
