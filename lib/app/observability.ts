import type { RunReport } from "../engine/types";

/** The logging calls used (Powertools Logger has them); tests pass a small recorder. */
export interface RunLogger {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
  appendKeys(keys: Record<string, unknown>): void;
  removeKeys(keys: string[]): void;
}

/** The metric calls used (Powertools Metrics writes them as CloudWatch EMF). */
export interface RunMetrics {
  addDimensions(dimensions: Record<string, string>): void;
  addMetric(name: string, unit: "Count", value: number): void;
  publishStoredMetrics(): void;
}

/**
 * Logs a run as structured lines: one per decision that did something, one per guard stop or
 * failure, all carrying the run's id as correlation id. Reports hold no secret by construction.
 */
export function logRunReport(report: RunReport, logger: RunLogger): void {
  logger.appendKeys({ correlation_id: report.runId, dryRun: report.dryRun });
  for (const job of report.jobs) {
    const base = { job: job.job, status: job.status, totals: job.totals };
    if (job.stoppedBy)
      logger.warn(`${job.job} stopped by guard ${job.stoppedBy.guard}`, { ...base, guard: job.stoppedBy });
    else if (job.error)
      logger.error(`${job.job} ${job.status}: ${job.error.message}`, { ...base, error: job.error });
    else logger.info(`${job.job} finished`, base);
    for (const warning of job.warnings) logger.warn(warning, { job: job.job });
    for (const d of job.decisions) {
      if (d.verdict === "keep" && !d.outcome) continue;
      const entry = {
        job: job.job,
        resourceId: d.resourceId,
        verdict: d.verdict,
        rule: d.rule,
        reason: d.reason,
        outcome: d.outcome,
      };
      if (d.outcome?.status === "failed")
        logger.error(`${d.resourceId}: ${d.outcome.message ?? "failed"}`, entry);
      else logger.info(`${d.resourceId}: ${d.verdict} (${d.rule})`, entry);
    }
  }
}

/** Per-job metrics of a run: actions planned, applied, failed, deferred, compute units released. */
export function publishRunMetrics(report: RunReport, metrics: RunMetrics): void {
  for (const job of report.jobs) {
    metrics.addDimensions({ job: job.job, dryRun: String(report.dryRun) });
    metrics.addMetric("ActionsPlanned", "Count", job.totals.planned);
    metrics.addMetric("ActionsApplied", "Count", job.totals.done);
    metrics.addMetric("ActionsFailed", "Count", job.totals.failed);
    metrics.addMetric("ActionsDeferred", "Count", job.totals.deferred);
    metrics.addMetric("ComputeUnitsReleased", "Count", job.totals.computeUnitsReleased);
    metrics.addMetric("GuardStops", "Count", job.status === "stopped" ? 1 : 0);
    metrics.publishStoredMetrics();
  }
}
