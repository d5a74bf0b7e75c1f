import { type Column, escapeForDisplay, renderTable } from "../text";
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

/** What kind of run this was, in the words of the report's first line. */
function runMode(report: RunReport): string {
  if (report.whatIf) return "WHAT-IF (as of another moment: nothing is changed or recorded)";
  const mode = report.dryRun ? "DRY RUN (nothing is changed)" : "APPLY";
  return report.simulated ? `SIMULATED ${mode}` : mode;
}

/**
 * The run report for people: one table per job, its totals, and any guard stop or failure. Ids,
 * labels, reasons, platform messages and warnings are shown escaped (the table escapes its cells),
 * so nothing a resource is named or a platform says can repaint the terminal or forge a line.
 */
export function renderRunReport(report: RunReport): string {
  const show = escapeForDisplay;
  const lines: string[] = [];
  lines.push(
    `Run ${show(report.runId)} — ${runMode(report)} — evaluated at ${show(report.evaluatedAt)} against ${show(report.target)}`,
  );
  for (const job of report.jobs) {
    lines.push("", `== ${show(job.job)}: ${job.status}`);
    if (job.stoppedBy)
      lines.push(`STOPPED by guard ${show(job.stoppedBy.guard)}: ${show(job.stoppedBy.message)}`);
    if (job.error) {
      const id = job.error.requestId ? ` [requestId ${show(job.error.requestId)}]` : "";
      lines.push(`${job.status === "locked" ? "LOCKED" : "FAILED"}: ${show(job.error.message)}${id}`);
    }
    for (const warning of job.warnings) lines.push(`warning: ${show(warning)}`);
    for (const failure of job.stateErrors ?? []) lines.push(`state store: ${show(failure)}`);
    if (job.decisions.length > 0) lines.push(renderTable(job.decisions, columns(job.job)));
    lines.push(show(summarizeJob(job, report.currency)));
  }
  return lines.join("\n");
}
