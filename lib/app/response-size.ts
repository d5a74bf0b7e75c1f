import type { JobReport, RunReport } from "../engine/types";

/**
 * The most a function's answer may be, as JSON: Lambda refuses a synchronous invocation's answer
 * over 6 MB (6,291,556 bytes), so the console would show an error for a run that went well. This
 * leaves room for the runtime's own wrapping.
 */
export const MAX_ANSWER_BYTES = 5 * 1024 * 1024;

const bytesOf = (report: RunReport) => Buffer.byteLength(JSON.stringify(report), "utf8");

/**
 * The run report as a function answers it: the whole report when it fits in `maxBytes`, otherwise
 * with the fewest decisions left out that make it fit — first those without an action (kept
 * resources), then all but the failed ones, then all — each job saying how many it left out and
 * where they are. The totals, warnings and errors always stay.
 */
export function fitAnswer(report: RunReport, maxBytes = MAX_ANSWER_BYTES): RunReport {
  if (bytesOf(report) <= maxBytes) return report;
  const steps: Array<{ keep: (d: JobReport["decisions"][number]) => boolean; where: string }> = [
    {
      keep: (d) => d.verdict !== "keep" || d.outcome !== undefined,
      where: "the decisions without an action (resources kept)",
    },
    {
      keep: (d) => d.outcome?.status === "failed",
      where: "every decision but the failed ones (each action is in the function's log)",
    },
    { keep: () => false, where: "every decision (each action is in the function's log)" },
  ];
  let fitted = report;
  for (const step of steps) {
    fitted = {
      ...report,
      jobs: report.jobs.map((job) => {
        const decisions = job.decisions.filter(step.keep);
        const left = job.decisions.length - decisions.length;
        if (left === 0) return job;
        return {
          ...job,
          decisions,
          warnings: [
            ...job.warnings,
            `${left} of ${job.decisions.length} decisions are left out of this answer, which would be larger than Lambda returns (6 MB): ${step.where}; \`qfhk plan ${job.job}\` shows each decision the job makes now`,
          ],
        };
      }),
    };
    if (bytesOf(fitted) <= maxBytes) return fitted;
  }
  return fitted;
}
