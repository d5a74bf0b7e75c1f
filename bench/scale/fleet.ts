import type { Fleet } from "../../lib/emulator";
import { seededRandom } from "../../lib/emulator/faults";

/** Fleet sizes of `npm run bench:scale -- --size …`: compute units; half as many tasks, a fifth as many services. */
export const SIZES = { "1k": 1_000, "10k": 10_000, "50k": 50_000 } as const;
export type SizeName = keyof typeof SIZES;

/** Services the generated config binds to a schedule (scaled to zero: uptime "never"). */
export const BOUND_SERVICES = 200;

/** The rules the generated config sets, which the naive loop applies by hand as well. */
export const RULES = {
  minAgeMs: 3_600_000,
  maxAgeMs: 30 * 86_400_000,
  maxRuntimeMs: 24 * 3_600_000,
  maxQueuedMs: 6 * 3_600_000,
};

export interface GeneratedFleet {
  fleet: Fleet;
  /** Service id → the unit its binding names. */
  bindings: Array<{ serviceId: string; instanceId: string }>;
  counts: { units: number; tasks: number; services: number };
}

const hours = (h: number) => `-${Math.round(h * 60)}m`;

/** Milliseconds of a relative fleet time ("-90m", "+3d"); NaN for anything else. */
function offsetMs(text: string | undefined): number {
  const match = /^([+-])(\d+)([md])$/.exec(text ?? "");
  if (!match) return Number.NaN;
  return (match[1] === "-" ? -1 : 1) * Number(match[2]) * (match[3] === "d" ? 86_400_000 : 60_000);
}

/**
 * The actions a first run owes this fleet under {@link RULES}: every binding scaled to zero, every
 * expired or over-age idle postpaid unit released, every overrunning or stuck task stopped. Idle
 * units are only marked on a first run (idleFor has not passed), so they are not counted.
 */
export function expectedActions(generated: GeneratedFleet): {
  scales: number;
  releases: number;
  stops: number;
} {
  const bound = new Set(generated.bindings.map((b) => b.instanceId));
  let releases = 0;
  for (const u of generated.fleet.computeUnits ?? []) {
    if (u.status !== "Running" || u.paymentTiming !== "Postpaid" || (u.usedComputeUnits ?? 0) > 0) continue;
    if (bound.has(u.instanceId)) continue;
    const age = -offsetMs(u.startTime);
    if (age < RULES.minAgeMs) continue;
    if (offsetMs(u.releaseTime) <= 0 || age >= RULES.maxAgeMs) releases += 1;
  }
  let stops = 0;
  for (const k of generated.fleet.batchTasks ?? []) {
    if (k.runStatus === "Running" && -offsetMs(k.startTime) > RULES.maxRuntimeMs) stops += 1;
    if (k.runStatus === "Queuing" && -offsetMs(k.createTime) > RULES.maxQueuedMs) stops += 1;
  }
  return { scales: generated.bindings.length, releases, stops };
}

/**
 * A seeded fleet with every mix the jobs meet: postpaid and prepaid units, Running, Creating,
 * Releasing and Released, young, middle-aged and past maxAge, auto-release times that passed
 * unheeded, busy units (services deployed on them or a baseline), services bound to units, and
 * tasks in every status, half of the Running and Queuing ones past their limits. Times are relative
 * to the emulator's load, so a fresh emulator on the same fleet meets the same situation.
 */
export function generateFleet(units: number, seed = 20_261_123): GeneratedFleet {
  const random = seededRandom(seed);
  const pick = <T>(weights: Array<[T, number]>): T => {
    let r = random() * weights.reduce((n, [, w]) => n + w, 0);
    for (const [value, w] of weights) {
      r -= w;
      if (r <= 0) return value;
    }
    return weights.at(-1)![0];
  };
  const serviceCount = Math.floor(units / 5);
  const computeUnits: NonNullable<Fleet["computeUnits"]> = [];
  const services: NonNullable<Fleet["services"]> = [];
  for (let i = 0; i < units; i += 1) {
    const instanceId = `unit-${i.toString(36).padStart(5, "0")}`;
    // Every fifth unit carries a service, so it is Running and busy.
    const hosting = i % 5 === 0 && i / 5 < serviceCount;
    const paymentTiming = pick<"Postpaid" | "Prepaid">([
      ["Postpaid", 7],
      ["Prepaid", 3],
    ]);
    const status = hosting
      ? "Running"
      : pick<"Running" | "Creating" | "Releasing" | "Released">([
          ["Running", 90],
          ["Creating", 3],
          ["Releasing", 3],
          ["Released", 4],
        ]);
    // A Creating unit turns Running a few seconds after load: young, so no run's verdict depends on when it lists.
    const ageHours =
      status === "Creating"
        ? 0.1
        : pick<number>([
            [0.2 + random() * 0.5, 2],
            [24 + random() * 24 * 10, 5],
            [24 * 31 + random() * 24 * 30, 3],
          ]);
    const replicas = hosting ? 1 + Math.floor(random() * 2) : 0;
    const baseline = !hosting && random() < 0.1 ? 1 : 0;
    const releaseTime =
      paymentTiming === "Postpaid" && random() < 0.15
        ? random() < 0.67
          ? hours(random() * 10)
          : `+${Math.round(60 + random() * 600)}m`
        : undefined;
    computeUnits.push({
      instanceId,
      region: random() < 0.8 ? "bj" : "bd",
      status,
      type: random() < 0.7 ? "gpu-1" : "gpu-2",
      totalComputeUnits: 8,
      usedComputeUnits: replicas + baseline,
      paymentTiming,
      startTime: hours(ageHours),
      ...(paymentTiming === "Prepaid"
        ? {
            expiredTime: `+${Math.round(1 + random() * 60)}d`,
            ...(random() < 0.3 ? { autoRenew: { renewTime: 1, renewTimeUnit: "MONTH" } } : {}),
          }
        : {}),
      ...(releaseTime ? { releaseTime, autoReleaseSkipped: true } : {}),
      creator: random() < 0.5 ? "alice@example.com" : "bob@example.com",
    });
    if (hosting) {
      services.push({
        serviceId: `svc-${(i / 5).toString(36).padStart(4, "0")}`,
        name: `service-${i / 5}`,
        createTime: hours(24 * 20),
        updateTime: hours(24 + random() * 48),
        deployments: [{ instanceId, replicas, computeUnitsPerReplica: 1 }],
      });
    }
  }
  const taskCount = Math.floor(units / 2);
  const batchTasks: NonNullable<Fleet["batchTasks"]> = [];
  for (let i = 0; i < taskCount; i += 1) {
    const runStatus = pick<"Running" | "Queuing" | "Done" | "Stopped" | "Failed" | "Expired">([
      ["Running", 40],
      ["Queuing", 20],
      ["Done", 20],
      ["Stopped", 10],
      ["Failed", 7],
      ["Expired", 3],
    ]);
    const createdHours =
      runStatus === "Queuing" ? 1 + random() * 10 : runStatus === "Running" ? 2 + random() * 46 : 50;
    batchTasks.push({
      taskId: `task-${i.toString(36).padStart(5, "0")}`,
      name: `nightly-eval-${i}`,
      runStatus,
      createTime: hours(createdHours),
      ...(runStatus === "Running" ? { startTime: hours(createdHours - 0.5) } : {}),
      ...(runStatus === "Done" || runStatus === "Stopped" || runStatus === "Failed"
        ? { startTime: hours(49), finishTime: hours(48) }
        : {}),
    });
  }
  const bindings = services
    .slice(0, BOUND_SERVICES)
    .map((s) => ({ serviceId: s.serviceId, instanceId: s.deployments![0]!.instanceId }));
  return {
    fleet: { computeUnits, services, batchTasks },
    bindings,
    counts: { units, tasks: taskCount, services: services.length },
  };
}

/** The housekeeping config the CLI runs with: `tuned` paces at the server's rate with 16 in flight. */
export function benchConfig(generated: GeneratedFleet, tuned: boolean): string {
  return [
    "version: 1",
    "timezone: UTC",
    ...(tuned ? ["qianfan: { requestsPerSecond: 200, concurrency: 16 }"] : []),
    "state: { kind: file, path: state.json }",
    `guards: { maxActionsPerRun: 1000000, maxFleetFraction: 1${tuned ? ", actionConcurrency: 16" : ""} }`,
    "jobs:",
    "  tpm-windows: { enabled: false }",
    "  release-units: { minAge: 1h, idleFor: 2h, maxAge: 30d }",
    "  stop-batch-tasks: { maxRuntime: 24h, maxQueued: 6h }",
    "  scale-services:",
    "    grace: 15m",
    "    services:",
    ...generated.bindings.map(
      (b) =>
        `      - { serviceId: ${b.serviceId}, instanceId: ${b.instanceId}, uptime: never, downReplicas: 0 }`,
    ),
    "",
  ].join("\n");
}
