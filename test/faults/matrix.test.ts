import { mkdir, writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exitCodeOf } from "../../lib/app/housekeeping";
import type { FaultRule } from "../../lib/emulator";
import type { AuditRecord, MemoryStateStore, StateStore } from "../../lib/state";
import {
  appliedActions,
  type CellResult,
  type CellSetup,
  JOB_CASES,
  type JobCase,
  mutatingRequests,
  runCell,
  spoiledReads,
} from "./harness";

/** How many times each cell's failing store refused an operation, by the cell's own store. */
const storeFaults = new WeakMap<MemoryStateStore, number>();

/**
 * A store whose chosen operations (one at a time and in batches alike) fail from their
 * `after`-th call on (a table throttled mid-run).
 */
function failingStore(ops: ReadonlyArray<keyof StateStore>, after = 0) {
  return (inner: MemoryStateStore): StateStore => {
    let calls = 0;
    storeFaults.set(inner, 0);
    return new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== "function") return value;
        if (!ops.includes(name as keyof StateStore)) return value.bind(target);
        return (...args: unknown[]) => {
          calls += 1;
          if (calls > after) {
            storeFaults.set(inner, (storeFaults.get(inner) ?? 0) + 1);
            return Promise.reject(new Error(`ProvisionedThroughputExceededException: ${String(name)}`));
          }
          return value.apply(target, args);
        };
      },
    });
  };
}

const everyRead = (job: JobCase, rule: Omit<FaultRule, "action">): FaultRule[] =>
  job.reads.map((action) => ({ ...rule, action }));
const onActs = (job: JobCase, rule: Omit<FaultRule, "action">): FaultRule[] => [
  { ...rule, action: job.acts },
];

interface Fault extends CellSetup {
  name: string;
  /** The answers the job read were spoiled: acting on them would be acting on bad data. */
  badData?: boolean;
}

const FAULTS: Fault[] = [
  { name: "429 storm, no Retry-After", rules: () => [{ kind: "status", status: 429, code: "18", times: 6 }] },
  {
    name: "429 storm, Retry-After: 1",
    rules: () => [{ kind: "status", status: 429, code: "18", times: 1, retryAfter: "1" }],
  },
  {
    name: "429 storm, Retry-After: 99999",
    rules: () => [{ kind: "status", status: 429, code: "18", times: 50, retryAfter: "99999" }],
  },
  {
    name: "429 storm, Retry-After: garbage",
    rules: () => [{ kind: "status", status: 429, code: "18", times: 6, retryAfter: "soon, maybe" }],
  },
  {
    name: "429 on every action call, Retry-After: 99999",
    rules: (job) => onActs(job, { kind: "status", status: 429, code: "18", times: 100, retryAfter: "99999" }),
  },
  { name: "5xx burst", rules: () => [{ kind: "status", status: 503, code: "ServiceUnavailable", times: 2 }] },
  { name: "5xx on every call", rules: () => [{ kind: "status", status: 500, times: 10_000 }] },
  { name: "reset before applied", rules: () => [{ kind: "reset-before", times: 2 }] },
  { name: "reset after applied", rules: (job) => onActs(job, { kind: "reset-after-apply", times: 1 }) },
  {
    name: "every action's answer lost",
    rules: (job) => onActs(job, { kind: "reset-after-apply", times: 10_000 }),
  },
  {
    name: "every action answered 504 after applying",
    rules: (job) =>
      onActs(job, { kind: "status-after-apply", status: 504, code: "GatewayTimeout", times: 10_000 }),
  },
  {
    name: "every action answered with an empty result",
    rules: (job) => onActs(job, { kind: "empty-result-after-apply", times: 10_000 }),
  },
  {
    name: "action answers slower than the timeout",
    rules: (job) => onActs(job, { kind: "hang-after-apply", times: 10_000 }),
  },
  {
    name: "listing slower than the timeout",
    rules: (job) => everyRead(job, { kind: "hang-after-apply", times: 1 }),
  },
  {
    name: "action answers truncated",
    rules: (job) => onActs(job, { kind: "truncated-json", times: 10_000 }),
  },
  {
    name: "truncated JSON",
    badData: true,
    rules: (job) => everyRead(job, { kind: "truncated-json", times: 10_000 }),
  },
  {
    name: "malformed JSON (a gateway's HTML)",
    badData: true,
    rules: (job) => everyRead(job, { kind: "malformed-json", times: 10_000 }),
  },
  {
    name: "oversized body",
    badData: true,
    maxResponseBytes: 256 * 1024,
    rules: (job) => everyRead(job, { kind: "oversized-body", bytes: 512 * 1024, times: 10_000 }),
  },
  {
    name: "listing comes back empty",
    badData: true,
    rules: (job) => everyRead(job, { kind: "empty-listing", times: 10_000 }),
  },
  {
    name: "listing missing a field",
    badData: true,
    rules: (job) => everyRead(job, { kind: "missing-field", field: job.keyField, times: 10_000 }),
  },
  {
    name: "listing with duplicates",
    badData: true,
    rules: (job) => everyRead(job, { kind: "duplicate-items", times: 10_000 }),
  },
  {
    name: "paging that never ends",
    badData: true,
    rules: (job) => everyRead(job, { kind: "endless-paging", times: 10_000 }),
  },
  {
    name: "placeholder dates",
    badData: true,
    rules: (job) => everyRead(job, { kind: "placeholder-dates", times: 10_000 }),
  },
  { name: "deadline arrives mid-run", deadlineAfterActions: 2 },
  { name: "state store fails before actions (lock)", store: failingStore(["acquireLock"]) },
  {
    name: "state store fails during actions (audit)",
    store: failingStore(["appendAudit", "appendAuditBatch"]),
  },
  { name: "state store fails after actions (remembering)", store: failingStore(["put", "writeBatch"]) },
  { name: "state store fails releasing the lock", store: failingStore(["releaseLock"]) },
  { name: "two runs at once", concurrentRuns: 2 },
];

interface Verdict {
  job: string;
  fault: string;
  faultsInjected: number;
  actions: number;
  duplicates: number;
  wrong: number;
  hung: boolean;
  unreported: number;
  /** Requests sent again for a resource the platform had already acted on (refused or idempotent). */
  resends: number;
  outcome: string;
  ms: number;
}

const verdicts: Verdict[] = [];
const eligible = new Map<string, Set<string>>();

/** The outcome a person sees: the job's status, or the chat worker's. */
function outcomeOf(cell: CellResult): string {
  if (cell.chatOutcome) return `chat ${cell.chatOutcome}`;
  return (
    cell.reports.map((r) => `${r.jobs.map((j) => j.status).join("+")} (exit ${exitCodeOf(r)})`).join(" & ") ||
    "none"
  );
}

function judge(job: JobCase, fault: Fault, cell: CellResult, ms: number): Verdict {
  const applied = appliedActions(job, cell.log);
  const counts = new Map<string, number>();
  for (const id of applied) counts.set(id, (counts.get(id) ?? 0) + 1);
  const strict =
    fault.badData &&
    !job.actsOnSpoiledReads &&
    !job.tolerates?.includes(fault.name) &&
    spoiledReads(job, cell.log) > 0;
  const allowed = strict ? new Set<string>() : eligible.get(job.name)!;
  const reported = new Set(
    cell.reports.flatMap((r) =>
      r.jobs.flatMap((j) => j.decisions.filter((d) => d.outcome).map((d) => d.resourceId)),
    ),
  );
  const audited = new Set(cell.audit.map((r: AuditRecord) => r.resourceId));
  const auditFails = fault.name.includes("(audit)");
  const sent = new Set(
    mutatingRequests(cell.log).map((e) => job.resourceOf((e.body ?? {}) as Record<string, unknown>)),
  );
  const unreported = [...sent].filter((id) => {
    const inReport = job.chatCommand ? (cell.chatReplies ?? "").includes(id) : reported.has(id);
    return !inReport || (!auditFails && !audited.has(id));
  }).length;
  const appliedOnce = new Set<string>();
  let resends = 0;
  for (const e of mutatingRequests(cell.log)) {
    const id = job.resourceOf((e.body ?? {}) as Record<string, unknown>);
    if (appliedOnce.has(id)) resends += 1;
    if (appliedActions(job, [e]).length > 0) appliedOnce.add(id);
  }
  return {
    resends,
    job: job.name,
    fault: fault.name,
    faultsInjected:
      cell.log.filter((e) => e.fault).length +
      (storeFaults.get(cell.store) ?? 0) +
      (fault.deadlineAfterActions ? 1 : 0),
    actions: applied.length,
    duplicates: [...counts.values()].filter((n) => n > 1).length,
    wrong: applied.filter((id) => !allowed.has(id) || job.never.includes(id)).length,
    hung: cell.hung,
    unreported,
    outcome: cell.error ? `error ${cell.error}` : outcomeOf(cell),
    ms,
  };
}

beforeAll(async () => {
  for (const job of JOB_CASES) {
    const cell = await runCell(job, {});
    eligible.set(job.name, new Set(appliedActions(job, cell.log)));
  }
});

afterAll(async () => {
  const figures = {
    cells: verdicts.length,
    faultsInjected: verdicts.reduce((n, v) => n + v.faultsInjected, 0),
    actionsCorrect: verdicts.reduce((n, v) => n + v.actions - v.wrong, 0),
    duplicates: verdicts.reduce((n, v) => n + v.duplicates, 0),
    wrongActions: verdicts.reduce((n, v) => n + v.wrong, 0),
    hangs: verdicts.filter((v) => v.hung).length,
    unreported: verdicts.reduce((n, v) => n + v.unreported, 0),
    resends: verdicts.reduce((n, v) => n + v.resends, 0),
  };
  await mkdir(".ci-out", { recursive: true });
  // Cells finish in any order; the file lists them in the matrix's.
  const rank = (v: Verdict) =>
    JOB_CASES.findIndex((j) => j.name === v.job) * FAULTS.length +
    FAULTS.findIndex((f) => f.name === v.fault);
  const cells = [...verdicts].sort((a, b) => rank(a) - rank(b));
  await writeFile(".ci-out/faults.json", `${JSON.stringify({ figures, cells }, null, 2)}\n`);
  console.log(`fault matrix: ${JSON.stringify(figures)}`);
});

describe("the clean run of each job acts exactly on the eligible resources", () => {
  it.each(JOB_CASES)("$name", (job) => {
    const acted = eligible.get(job.name)!;
    expect(acted.size).toBeGreaterThan(0);
    for (const id of job.never) expect(acted.has(id)).toBe(false);
  });
});

// Each cell has its own emulator and store, so cells run side by side: most of a cell is waiting.
describe.concurrent.each(JOB_CASES)("fault matrix: $name", (job) => {
  it.each(FAULTS)(
    "$name: no wrong, repeated, unreported action; a clear end; the lock free",
    async (fault) => {
      const started = performance.now();
      const cell = await runCell(job, fault);
      const verdict = judge(job, fault, cell, Math.round(performance.now() - started));
      verdicts.push(verdict);
      expect(verdict.hung, "the run hung").toBe(false);
      // A store fault that no call met would test nothing: the run must have been refused. (A
      // chat command holds no run lock, so it has none to release: that cell is not injected.)
      const noLockToRelease = job.chatCommand && fault.name.includes("releasing the lock");
      if (fault.store && !noLockToRelease)
        expect(storeFaults.get(cell.store), "the store fault was never met").toBeGreaterThan(0);
      expect(cell.error, "the run threw instead of reporting").toBeUndefined();
      expect(verdict.duplicates, "a resource acted on twice").toBe(0);
      expect(verdict.wrong, "an action outside the rules").toBe(0);
      expect(verdict.unreported, "an action missing from the report or the audit").toBe(0);
      for (const report of cell.reports) {
        for (const j of report.jobs) expect(["ok", "stopped", "failed", "locked"]).toContain(j.status);
        // An action that failed or whose outcome is unknown never ends in exit code 0.
        const unsure = report.jobs.some((j) => j.decisions.some((d) => d.outcome?.status === "failed"));
        if (unsure) expect(exitCodeOf(report)).toBe(1);
        for (const j of report.jobs.filter((j) => j.status === "failed"))
          expect(j.error?.message ?? j.stateErrors?.join()).toBeTruthy();
      }
      // Through chat the operator is told when what was done could not go to the audit trail.
      if (job.chatCommand && fault.name.includes("(audit)") && verdict.actions > 0)
        expect(cell.chatReplies).toContain("Not in the audit trail");
      if (job.chatCommand && fault.concurrentRuns && cell.chatOutcome?.includes("done"))
        expect(cell.chatOutcome.split(" + ").filter((o) => o === "done")).toHaveLength(1);
      if (fault.name.includes("releasing the lock"))
        expect(cell.lockFreeLater, "the lock's lease never lapses").toBe(true);
      else expect(cell.lockFree, "the run lock is still held").toBe(true);
    },
  );
});
