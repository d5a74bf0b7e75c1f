import { describe, expect, it } from "vitest";
import { fitAnswer, MAX_ANSWER_BYTES } from "../../lib/app/response-size";
import type { DecisionReport, JobReport, JobTotals, RunReport } from "../../lib/engine/types";

const COUNTS = [
  "resources",
  "planned",
  "done",
  "failed",
  "skipped",
  "deferred",
  "noticed",
  "computeUnitsReleased",
];
const totals = Object.fromEntries(COUNTS.map((name) => [name, 0])) as unknown as JobTotals;

const kept = (i: number): DecisionReport => ({
  resourceId: `unit-${i}`,
  verdict: "keep",
  rule: "prepaid",
  reason: `prepaid: the platform bills it whether or not it runs (${"x".repeat(80)})`,
});
const released = (i: number, status: "done" | "failed"): DecisionReport => ({
  resourceId: `unit-r${i}`,
  verdict: "act",
  rule: "expired",
  reason: "auto-release time passed",
  action: { instanceId: `unit-r${i}` },
  outcome: { status, ...(status === "failed" ? { message: "InternalError" } : {}) },
});

function report(...jobs: JobReport["decisions"][]): RunReport {
  return {
    runId: "run-1",
    evaluatedAt: "2026-12-01T00:00:00.000Z",
    startedAt: "2026-12-01T00:00:00.000Z",
    finishedAt: "2026-12-01T00:00:10.000Z",
    dryRun: false,
    recorded: true,
    target: "emulator",
    jobs: jobs.map((decisions, i) => ({
      job: i === 0 ? "release-units" : "stop-batch-tasks",
      status: "ok",
      decisions,
      totals: { ...totals, resources: decisions.length },
      warnings: ["a warning of the run"],
    })),
  } as RunReport;
}

const size = (r: RunReport) => Buffer.byteLength(JSON.stringify(r));
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("the answer a job function returns", () => {
  it("is the whole report when it fits", () => {
    const whole = report([kept(1), released(1, "done")]);
    expect(fitAnswer(whole)).toBe(whole);
  });

  it("leaves out the kept resources first, and says how many and where they are", () => {
    const whole = report([...range(2000).map(kept), released(1, "done"), released(2, "failed")]);
    const fitted = fitAnswer(whole, 50_000);
    expect(size(whole)).toBeGreaterThan(50_000);
    expect(size(fitted)).toBeLessThanOrEqual(50_000);
    const job = fitted.jobs[0]!;
    expect(job.decisions.map((d) => d.resourceId)).toEqual(["unit-r1", "unit-r2"]);
    expect(job.totals).toEqual(whole.jobs[0]!.totals);
    expect(job.warnings[0]).toBe("a warning of the run");
    expect(job.warnings[1]).toMatch(
      /^2000 of 2002 decisions are left out of this answer, which would be larger than Lambda returns \(6 MB\): the decisions without an action \(resources kept\); `qfhk plan release-units`/,
    );
  });

  it("then every decision but the failed ones, then all of them, the totals always kept", () => {
    const actions = [...range(1000).map((i) => released(i, "done")), released(5000, "failed")];
    const failedOnly = fitAnswer(report(actions), 20_000);
    expect(size(failedOnly)).toBeLessThanOrEqual(20_000);
    expect(failedOnly.jobs[0]!.decisions.map((d) => d.resourceId)).toEqual(["unit-r5000"]);
    expect(failedOnly.jobs[0]!.warnings.at(-1)).toContain("1000 of 1001 decisions are left out");
    expect(failedOnly.jobs[0]!.warnings.at(-1)).toContain("every decision but the failed ones");

    const failures = range(1000).map((i) => released(i, "failed"));
    const none = fitAnswer(report(failures, [kept(1)]), 2_000);
    expect(none.jobs[0]!.decisions).toEqual([]);
    expect(none.jobs[0]!.warnings.at(-1)).toContain("1000 of 1000 decisions are left out");
    expect(none.jobs[1]!.decisions).toEqual([]);
    expect(none.jobs[1]!.totals.resources).toBe(1);
  });

  it("stays under what Lambda returns for a 50k-unit release-units report", () => {
    const whole = report(range(50_000).map(kept));
    expect(size(whole)).toBeGreaterThan(6_291_556);
    expect(size(fitAnswer(whole))).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
  });
});
