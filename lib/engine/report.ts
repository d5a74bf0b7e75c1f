import { type Column, renderTable } from "../text";
import type { DecisionReport, JobReport, RunReport } from "./types";

const VERDICT_WORDS: Record<DecisionReport["verdict"], string> = {
  act: "release",
  notice: "notice",
  keep: "keep",
};

/** The decision column in words: what the job does with the resource. */
function decisionWord(job: string, d: DecisionReport): string {
  if (d.verdict !== "act") return VERDICT_WORDS[d.verdict];
  const action = d.action as { type?: string; direction?: string } | undefined;
  if (action?.direction) return `scale ${action.direction}`;
  const type = action?.type;
  return ACTION_WORDS[type ?? ""] ?? (job === "release-units" ? "release" : "act");
}

const ACTION_WORDS: Record<string, string> = {
  ReleaseComputeUnit: "release",
  StopBatchInferenceTask: "stop",
  ScaleService: "scale",
  PurchaseTPMResource: "buy",
  ReleaseTPMResource: "release",
};

/** The outcome column: what the platform confirmed, or why nothing happened. */
export function describeOutcome(d: DecisionReport): string {
  const o = d.outcome;
  if (!o) return d.verdict === "keep" ? "" : "-";
  switch (o.status) {
    case "done":
      return `done${o.alreadyDone ? " (already)" : ""}${o.observed ? `: ${o.observed}` : ""}${o.requestId ? ` [${o.requestId}]` : ""}`;
    case "planned":
      return "dry run: not done";
    case "noticed":
      return "announced";
    case "failed":
      return `FAILED: ${[o.code, o.message].filter(Boolean).join(" ")}${o.requestId ? ` [${o.requestId}]` : ""}`;
    case "skipped":
      return `skipped: ${o.message ?? ""}`;
    case "deferred":
      return `deferred: ${o.message ?? ""}`;
  }
}

const columns = (job: string): Column<DecisionReport>[] => [
  { header: "RESOURCE", value: (d) => d.resourceId },
  { header: "WHAT", value: (d) => d.label },
  { header: "DECISION", value: (d) => decisionWord(job, d) },
  { header: "REASON", value: (d) => d.reason },
  { header: "OUTCOME", value: (d) => describeOutcome(d) },
];

/** One job's totals in a sentence. */
export function summarizeJob(report: JobReport, currency?: string): string {
  const t = report.totals;
  const parts = [`${t.resources} resources`, `${t.planned} to act on`];
  if (t.done) parts.push(`${t.done} done`);
  if (t.noticed) parts.push(`${t.noticed} announced`);
  if (t.failed) parts.push(`${t.failed} failed`);
  if (t.skipped) parts.push(`${t.skipped} skipped`);
  if (t.deferred) parts.push(`${t.deferred} deferred`);
  if (t.computeUnitsReleased) parts.push(`${t.computeUnitsReleased} compute units released`);
  if (t.savingPerHour !== undefined)
    parts.push(`saving ${t.savingPerHour} ${currency ?? ""}/hour`.replace(" /", "/"));
  return parts.join(", ");
}

/** The run report for people: one table per job, its totals, and any guard stop or failure. */
export function renderRunReport(report: RunReport): string {
  const lines: string[] = [];
  lines.push(
    `Run ${report.runId} — ${report.dryRun ? "DRY RUN (nothing is changed)" : "APPLY"} — evaluated at ${report.evaluatedAt} against ${report.target}`,
  );
  for (const job of report.jobs) {
    lines.push("", `== ${job.job}: ${job.status}`);
    if (job.stoppedBy) lines.push(`STOPPED by guard ${job.stoppedBy.guard}: ${job.stoppedBy.message}`);
    if (job.error) {
      const id = job.error.requestId ? ` [requestId ${job.error.requestId}]` : "";
      lines.push(`${job.status === "locked" ? "LOCKED" : "FAILED"}: ${job.error.message}${id}`);
    }
    for (const warning of job.warnings) lines.push(`warning: ${warning}`);
    if (job.decisions.length > 0) lines.push(renderTable(job.decisions, columns(job.job)));
    lines.push(summarizeJob(job, report.currency));
  }
  return lines.join("\n");
}
