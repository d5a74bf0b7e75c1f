import { runHousekeeping } from "../../lib/app/housekeeping";
import { startLocalChat } from "../../lib/chat/local-session";
import { parseConfig } from "../../lib/config";
import {
  ANSWER_FAULTS,
  type FaultOptions,
  type FaultRule,
  type Fleet,
  type RequestLogEntry,
  type RunningEmulator,
} from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { ACTIONS, type ActionName } from "../../lib/qianfan";
import { type AuditRecord, JobMemory, MemoryStateStore, type StateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit, T0, task } from "../support/emulator";

const H = 3_600_000;
export const NOW = T0; // Monday 10:00 in Shanghai
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

/** One job as the fault matrix drives it: a dozen resources, some eligible and some never to touch. */
export interface JobCase {
  name: string;
  /** The runner's job name (the chat row runs release-units through chat). */
  job: string;
  fleet: Fleet;
  config: string[];
  /** The read actions the job's decisions rest on (keys of ACTIONS), where data faults are injected. */
  reads: ActionName[];
  /** The mutating action the job sends. */
  acts: ActionName;
  /** The field a missing-field fault leaves out. */
  keyField: string;
  /** The resource a mutating request acts on, as the report and the audit name it. */
  resourceOf(body: Record<string, unknown>): string;
  /** Resources no cell may ever act on (prepaid, busy, protected, snoozed, young, healthy). */
  never: string[];
  /** Snoozes put in the store before the run. */
  snoozed?: string[];
  /** Acting is still right on this data when a listing answer is spoiled (an empty TPM listing is real). */
  actsOnSpoiledReads?: boolean;
  /** Sending the same request again is no second action (ScaleService sets a replica count). */
  idempotent?: boolean;
  /** Spoiled reads after which acting on the eligible set is still right, and why (at the case). */
  tolerates?: string[];
  /** Through chat: the command sent, confirmed by the operator. */
  chatCommand?: string;
}

const expiredUnit = (id: string, over: Record<string, unknown> = {}) =>
  postpaidUnit(id, { releaseTime: ago(1.5 * H), autoReleaseSkipped: true, ...over });

const unitFleet: Fleet = {
  computeUnits: [
    ...Array.from({ length: 5 }, (_, i) => expiredUnit(`unit-expired-${i}`)),
    expiredUnit("unit-busy", { usedComputeUnits: 2 }),
    postpaidUnit("unit-prepaid", { paymentTiming: "Prepaid", expiredTime: "2026-12-20T00:00:00Z" }),
    expiredUnit("unit-prod-1"),
    expiredUnit("unit-snoozed"),
    expiredUnit("unit-young", { startTime: ago(10 * 60_000), releaseTime: ago(60_000) }),
    postpaidUnit("unit-idle-new"),
    postpaidUnit("unit-later", { releaseTime: new Date(NOW.getTime() + 5 * H).toISOString() }),
  ],
};
const unitConfig = [
  "  release-units:",
  "    minAge: 1h",
  "    idleFor: 2h",
  "    protect:",
  '      - instanceId: "unit-prod-*"',
];
const unitNever = [
  "unit-busy",
  "unit-prepaid",
  "unit-prod-1",
  "unit-snoozed",
  "unit-young",
  "unit-idle-new",
  "unit-later",
];

const service = (id: string, unit: string, replicas: number) => ({
  serviceId: id,
  name: id,
  createTime: "2026-11-01T00:00:00Z",
  updateTime: "2026-11-01T00:00:00Z",
  deployments: [{ instanceId: unit, replicas, computeUnitsPerReplica: 1 }],
});

const releaseUnits: JobCase = {
  name: "release-units",
  job: "release-units",
  fleet: unitFleet,
  config: unitConfig,
  reads: ["DescribeComputeUnits", "DescribeComputeUnit"],
  acts: "ReleaseComputeUnit",
  keyField: "paymentTiming",
  resourceOf: (b) => String(b.instanceId),
  never: unitNever,
  snoozed: ["unit-snoozed"],
};

export const JOB_CASES: JobCase[] = [
  releaseUnits,
  {
    name: "scale-services",
    job: "scale-services",
    fleet: {
      computeUnits: [
        postpaidUnit("unit-a", { totalComputeUnits: 16, usedComputeUnits: 8 }),
        postpaidUnit("unit-b", { totalComputeUnits: 16, usedComputeUnits: 4 }),
      ],
      services: [
        service("svc-night-1", "unit-a", 2),
        service("svc-night-2", "unit-a", 2),
        service("svc-night-3", "unit-a", 2),
        service("svc-night-4", "unit-b", 2),
        service("svc-day", "unit-a", 2),
        service("svc-unbound", "unit-b", 2),
        { ...service("svc-fresh", "unit-b", 0), updateTime: ago(5 * 60_000), deployments: [] },
      ],
    },
    config: [
      "  scale-services:",
      "    guards: { maxFleetFraction: 1 }",
      "    services:",
      ...["svc-night-1", "svc-night-2", "svc-night-3"].map(
        (id) => `      - { serviceId: ${id}, instanceId: unit-a, uptime: "Sat-Sun 09:00-18:00" }`,
      ),
      '      - { serviceId: svc-night-4, instanceId: unit-b, uptime: "Sat-Sun 09:00-18:00" }',
      '      - { serviceId: svc-day, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00" }',
      '      - { serviceId: svc-fresh, instanceId: unit-b, uptime: "Sat-Sun 09:00-18:00" }',
    ],
    reads: [
      "DescribeServices",
      "DescribeService",
      "DescribeComputeUnits",
      "/v2/serviceresources?Action=DescribeComputeUnits",
    ],
    acts: "ScaleService",
    keyField: "replicasCount",
    resourceOf: (b) => `${String(b.serviceId)}/${String(b.instanceId)}`,
    never: ["svc-day/unit-a", "svc-unbound/unit-b", "svc-fresh/unit-b"],
    idempotent: true,
    // A placeholder updateTime and createTime are no time (the job's documented reading): no grace
    // can be measured, and a scale-down is undone at the next uptime with the remembered size.
    tolerates: ["placeholder dates"],
  },
  {
    name: "stop-batch-tasks",
    job: "stop-batch-tasks",
    fleet: {
      batchTasks: [
        ...Array.from({ length: 5 }, (_, i) =>
          task(`task-late-${i}`, { createTime: ago(30 * H), startTime: ago(29 * H) }),
        ),
        ...Array.from({ length: 5 }, (_, i) =>
          task(`task-ok-${i}`, { createTime: ago(H), startTime: ago(H), durationSeconds: 86_400 }),
        ),
        task("task-guarded", { name: "training-weekly", createTime: ago(40 * H), startTime: ago(40 * H) }),
        task("task-snoozed", { createTime: ago(40 * H), startTime: ago(40 * H) }),
      ],
    },
    config: ["  stop-batch-tasks:", "    maxRuntime: 24h", "    protect:", '      - name: "training-*"'],
    reads: ["DescribeBatchInferenceTasks", "DescribeBatchInferenceTask"],
    acts: "StopBatchInferenceTask",
    keyField: "runStatus",
    resourceOf: (b) => String(b.taskId),
    never: [...Array.from({ length: 5 }, (_, i) => `task-ok-${i}`), "task-guarded", "task-snoozed"],
    snoozed: ["task-snoozed"],
  },
  {
    name: "tpm-windows",
    job: "tpm-windows",
    fleet: {},
    config: [
      "  tpm-windows:",
      "    windows:",
      '      - { name: peak, model: ernie-speed-8k, count: 2, schedule: "Mon-Fri 10:00-12:00" }',
      '      - { name: long, model: ernie-speed-128k, count: 1, schedule: "Mon-Fri 09:00-18:00" }',
      '      - { name: weekend, model: ernie-4.5-turbo-128k, count: 1, schedule: "Sat-Sun 09:00-18:00" }',
    ],
    reads: ["DescribeTPMResource"],
    acts: "PurchaseTPMResource",
    keyField: "status",
    resourceOf: (b) =>
      `window:${({ "ernie-speed-8k": "peak", "ernie-speed-128k": "long" } as Record<string, string>)[String(b.model)] ?? String(b.model)}`,
    never: ["window:weekend", "ernie-4.5-turbo-128k"],
    actsOnSpoiledReads: true,
  },
  {
    ...releaseUnits,
    name: "chat: release <unit> + confirm",
    never: unitNever.concat(Array.from({ length: 4 }, (_, i) => `unit-expired-${i + 1}`)),
    chatCommand: "release unit-expired-0",
    // The operator's release reads the one unit (DescribeComputeUnit): emptied, doubled or dateless
    // service-usage lists and times leave a valid, idle unit, and an operator's release needs no age.
    tolerates: ["listing comes back empty", "listing with duplicates", "placeholder dates"],
  },
];

const CHAT_ROOM = { user: "op-1", room: "room-ops" };

/** What one cell saw, for the invariants and the figures. */
export interface CellResult {
  report?: RunReport;
  reports: RunReport[];
  /** The chat worker's outcome, for the chat row. */
  chatOutcome?: string;
  chatReplies?: string;
  error?: string;
  hung: boolean;
  log: RequestLogEntry[];
  audit: AuditRecord[];
  lockFree: boolean;
  /** Free once a lease (5 min without a deadline, the time left plus a minute with one) lapsed. */
  lockFreeLater: boolean;
  emulator: RunningEmulator;
  /** The cell's own state store, under any failing wrapper. */
  store: MemoryStateStore;
}

/** How a cell is set up: faults injected, the store, the deadline, and how many runs at once. */
export interface CellSetup {
  rules?: (job: JobCase) => FaultRule[];
  options?: FaultOptions;
  store?: (inner: MemoryStateStore) => StateStore;
  /**
   * The caller's deadline arrives once the platform has seen this many action requests: the time
   * left drops from ten minutes to 5.5 s (inside the runner's reserves), as a Lambda's does.
   */
  deadlineAfterActions?: number;
  concurrentRuns?: number;
  /** The client's answer size cap (an oversized answer is larger). */
  maxResponseBytes?: number;
}

export const HANG_GUARD_MS = 20_000;

// Short enough that a hang costs a second, long enough that a loaded machine's slow answer is not
// taken for a lost one (the outcomes then do not depend on the machine's load).
const CLIENT = {
  timeoutMs: 1000,
  retry: { retries: 3, minDelayMs: 1, maxDelayMs: 10, maxRetryTimeMs: 5000 },
} as const;

/** Builds the config text of a job case. */
export function configOf(job: JobCase): string {
  return [
    "version: 1",
    "dryRun: false",
    "guards: { maxActionsPerRun: 20, maxFleetFraction: 1 }",
    ...(job.chatCommand ? ["chat:", "  slack: { operators: [op-1], rooms: [room-ops] }"] : []),
    "jobs:",
    ...job.config,
  ].join("\n");
}

/** Runs one cell: a fresh emulator and store, the faults, the job through its public entry, a hang guard. */
export async function runCell(job: JobCase, setup: CellSetup): Promise<CellResult> {
  const emulator = await emulatorWith(job.fleet, { faults: setup.options });
  for (const rule of setup.rules?.(job) ?? []) emulator.injectFault(rule);
  const inner = new MemoryStateStore({ clock: () => NOW.getTime() });
  const memory = new JobMemory(inner);
  for (const id of job.snoozed ?? []) {
    await memory.putSnooze({
      resourceId: id,
      until: new Date(NOW.getTime() + 24 * H).toISOString(),
      reason: "test",
    });
  }
  const store = setup.store ? setup.store(inner) : inner;
  const config = parseConfig(configOf(job), `${job.name}.yml`);
  const api = apiFor(emulator, { ...CLIENT, maxResponseBytes: setup.maxResponseBytes });
  const deadlineAfter = setup.deadlineAfterActions;
  const remainingMs =
    deadlineAfter === undefined
      ? undefined
      : () => (mutatingRequests(emulator.requestLog).length >= deadlineAfter ? 5_500 : 600_000);
  const result: CellResult = {
    reports: [],
    hung: false,
    log: [],
    audit: [],
    lockFree: false,
    lockFreeLater: false,
    emulator,
    store: inner,
  };

  const work = async () => {
    if (job.chatCommand) {
      const chat = await startLocalChat({ config, api, store, clock: () => NOW, target: emulator.url });
      try {
        const asked = await chat.send("slack", job.chatCommand, CHAT_ROOM);
        const text = JSON.stringify(asked.replies.map((r) => r.body));
        const code = /confirm (\d{6})\b/.exec(text)?.[1];
        result.chatReplies = text;
        result.chatOutcome = asked.outcome ?? `webhook answered ${asked.answer.status}`;
        if (code) {
          // Two runs at once, through chat: the same confirmation sent twice side by side. The
          // outcomes are listed sorted, since which of the two wins is up to the scheduler.
          const confirms = Array.from({ length: setup.concurrentRuns ?? 1 }, () =>
            chat.send("slack", `confirm ${code}`, CHAT_ROOM),
          );
          const done = await Promise.all(confirms);
          result.chatOutcome = done
            .map((d) => d.outcome ?? `webhook answered ${d.answer.status}`)
            .sort()
            .join(" + ");
          for (const d of done) result.chatReplies += JSON.stringify(d.replies.map((r) => r.body));
        }
      } finally {
        await chat.close();
      }
      return;
    }
    const runs = Array.from({ length: setup.concurrentRuns ?? 1 }, () =>
      runHousekeeping({
        config,
        api,
        store,
        job: job.job,
        dryRun: false,
        now: NOW,
        clock: () => NOW,
        target: emulator.url,
        remainingMs,
      }),
    );
    result.reports = await Promise.all(runs);
    result.report = result.reports[0];
  };

  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), HANG_GUARD_MS);
  });
  try {
    const outcome = await Promise.race([work().then(() => "ended" as const), guard]);
    result.hung = outcome === "hung";
  } catch (error) {
    result.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } finally {
    clearTimeout(timer);
  }
  result.log = [...emulator.requestLog];
  result.audit = await inner.listAudit({});
  const probe = await inner.acquireLock(`job:${job.job}`, "probe", 60_000, NOW);
  result.lockFree = probe.acquired;
  const later = new Date(NOW.getTime() + 12 * 60_000);
  result.lockFreeLater = (await inner.acquireLock(`job:${job.job}`, "probe-later", 60_000, later)).acquired;
  await emulator.close();
  return result;
}

/** Faults after which the platform did apply the change (its answer was lost or spoiled). */
const APPLIED_FAULTS = new Set<string | undefined>([
  "reset-after-apply",
  "hang-after-apply",
  "status-after-apply",
  "empty-result-after-apply",
  "slow",
  ...ANSWER_FAULTS,
]);

const isMutating = (action: string) => Object.values(ACTIONS).some((a) => a.mutating && a.action === action);

/** The mutating requests the platform applied, by the resource each acted on. */
export function appliedActions(job: JobCase, log: RequestLogEntry[]): string[] {
  const applied = log
    .filter((e) => isMutating(e.action))
    .filter((e) => (e.status === 200 && e.fault === undefined) || APPLIED_FAULTS.has(e.fault));
  const seen = new Set<string>();
  return applied
    .filter((e) => {
      if (!job.idempotent) return true;
      const same = JSON.stringify(e.body);
      if (seen.has(same)) return false;
      seen.add(same);
      return true;
    })
    .map((e) => job.resourceOf((e.body ?? {}) as Record<string, unknown>));
}

/** Whether the platform spoiled an answer the job read (a data fault that changed the answer). */
export function spoiledReads(job: JobCase, log: RequestLogEntry[]): number {
  const reads = new Set<string>(job.reads.map((r) => ACTIONS[r].action));
  return log.filter((e) => reads.has(e.action) && e.status === 200 && e.fault !== undefined).length;
}

export const mutatingRequests = (log: RequestLogEntry[]) => log.filter((e) => isMutating(e.action));

export { H };
