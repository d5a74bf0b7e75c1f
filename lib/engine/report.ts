import { type Column, escapeForDisplay, formatInstant, plural, renderTable, wrapText } from "../text";
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
  { header: "WHAT", value: (d) => d.label, shrink: "wrap" },
  { header: "DECISION", value: (d) => decisionWord(job, d) },
  { header: "REASON", value: (d) => d.reason, shrink: "wrap" },
  { header: "OUTCOME", value: (d) => describeOutcome(d), shrink: "wrap" },
];

/** One job's totals in a sentence. */
export function summarizeJob(report: JobReport, currency?: string): string {
  const t = report.totals;
  const parts = [plural(t.resources, "resource"), `${t.planned} to act on`];
  if (t.done) parts.push(`${t.done} done`);
  if (t.noticed) parts.push(`${t.noticed} announced`);
  if (t.failed) parts.push(`${t.failed} failed`);
  if (t.skipped) parts.push(`${t.skipped} skipped`);
  if (t.deferred) parts.push(`${t.deferred} deferred`);
  if (t.computeUnitsReleased) parts.push(`${plural(t.computeUnitsReleased, "compute unit")} released`);
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

export interface RenderOptions {
  /** The zone times are shown in (the config's `timezone`); without one, UTC. */
  timeZone?: string;
  /** The widest a table line may be (the terminal's width); reasons and outcomes are shortened to fit. */
  maxWidth?: number;
}

/** When the run was evaluated, for its first line: in the zone, with the offset and the zone's name. */
function evaluatedAt(report: RunReport, timeZone: string): string {
  const at = new Date(report.evaluatedAt);
  if (Number.isNaN(at.getTime())) return escapeForDisplay(report.evaluatedAt);
  return `${formatInstant(at, timeZone)} (${timeZone})`;
}

/**
 * The run report for people: one table per job, its totals, and any guard stop or failure. Ids,
 * labels, reasons, platform messages and warnings are shown escaped (the table escapes its cells),
 * so nothing a resource is named or a platform says can repaint the terminal or forge a line.
 */
export function renderRunReport(report: RunReport, options: RenderOptions = {}): string {
  const show = escapeForDisplay;
  const lines: string[] = [];
  // Sentences wrap at the terminal's width, as the tables do.
  const sentence = (line: string) => (options.maxWidth ? wrapText(line, options.maxWidth) : [line]);
  lines.push(
    ...sentence(
      `Run ${show(report.runId)} — ${runMode(report)} — evaluated at ${evaluatedAt(report, options.timeZone ?? "UTC")} against ${show(report.target)}`,
    ),
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
    if (job.decisions.length > 0)
      lines.push(renderTable(job.decisions, columns(job.job), { maxWidth: options.maxWidth }));
    lines.push(...sentence(show(summarizeJob(job, report.currency))));
  }
  return lines.join("\n");
}
