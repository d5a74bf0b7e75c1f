import { readFile } from "node:fs/promises";
import { z } from "zod";
import { parseDuration } from "../config/duration";
import {
  PAYMENT_TIMINGS,
  REGIONS,
  SERVICE_RUN_STATUSES,
  TASK_RUN_STATUSES,
  TPM_MODELS,
  TPM_STATUSES,
  UNIT_STATUSES,
  UNIT_TYPES,
} from "../qianfan/actions";
import { parsePlatformTime } from "../qianfan/schemas";

const RELATIVE = /^(now|([+-])(\w+))$/;

/**
 * A fleet time: an absolute time ("2026-11-23T02:00:00Z", "2026-11-23 10:00:00" Beijing) or one
 * relative to the emulator's clock when the fleet loads ("-3h", "+30m", "now"), so a shipped demo
 * fleet looks the same whenever it runs.
 */
export const FleetTime = z
  .string()
  .refine((v) => relativeMs(v) !== undefined || parsePlatformTime(v) !== undefined, {
    message: 'expected an ISO time or a relative time such as "-3h", "+30m", "now"',
  });

/** Resolves a {@link FleetTime} against the load instant. */
export function resolveFleetTime(value: string, loadedAt: Date): Date {
  const offset = relativeMs(value);
  return offset === undefined ? parsePlatformTime(value)! : new Date(loadedAt.getTime() + offset);
}

function relativeMs(value: string): number | undefined {
  const match = RELATIVE.exec(value);
  if (!match) return undefined;
  if (match[1] === "now") return 0;
  const ms = parseDuration(match[3]!);
  return ms === undefined ? undefined : (match[2] === "-" ? -1 : 1) * ms;
}

const Count = z.number().int().nonnegative();

const FleetUnit = z.strictObject({
  instanceId: z.string().min(1),
  region: z.enum(REGIONS),
  status: z.enum(UNIT_STATUSES).default("Running"),
  // A plain string to callers (builders of test fleets), one of the documented types once checked.
  type: z.string().refine((v) => (UNIT_TYPES as readonly string[]).includes(v), {
    message: `expected one of ${UNIT_TYPES.join(", ")}`,
  }),
  totalComputeUnits: z.number().int().positive(),
  usedComputeUnits: Count.default(0),
  paymentTiming: z.enum(PAYMENT_TIMINGS),
  startTime: FleetTime,
  expiredTime: FleetTime.optional(),
  releaseTime: FleetTime.optional(),
  reservationLength: z.number().int().optional(),
  reservationTimeUnit: z.string().optional(),
  creator: z.string(),
  autoRenew: z.strictObject({ renewTime: z.number(), renewTimeUnit: z.string() }).optional(),
  /** The platform's automatic release does not happen for this unit (the incident the tool cleans up). */
  autoReleaseSkipped: z.boolean().default(false),
});

const FleetService = z.strictObject({
  serviceId: z.string().min(1),
  name: z.string().min(1),
  /** Serving and Stopped follow the replicas; New, Deploying and Failed are pinned. */
  runStatus: z.enum(SERVICE_RUN_STATUSES).optional(),
  serviceType: z.string().default("chat"),
  // Defaults as the DescribeService page shows them.
  chargeType: z.string().default("ComputingUnit"),
  payType: z.string().default("Postpay"),
  createTime: FleetTime,
  updateTime: FleetTime.optional(),
  creator: z.string().default("ml-platform"),
  resourceType: z.string().default("GPU-I-2"),
  /** 2 for a service created on the newer protocol: DescribeServices lists it only when asked for 2. */
  protocolVersion: z.union([z.literal(1), z.literal(2)]).default(1),
  qps: z.number().default(10),
  region: z.string().default("bj"),
  /** Compute units a replica takes on a unit the service is scaled onto afresh. */
  computeUnitsPerReplica: z.number().int().positive().default(1),
  deployments: z
    .array(
      z.strictObject({
        instanceId: z.string().min(1),
        replicas: Count,
        computeUnitsPerReplica: z.number().int().positive().default(1),
      }),
    )
    .default([]),
});

const FleetTpm = z.strictObject({
  instanceId: z.string().min(1),
  model: z.enum(TPM_MODELS),
  paymentTiming: z.enum(PAYMENT_TIMINGS).default("Postpaid"),
  status: z.enum(TPM_STATUSES).default("Running"),
  purchaseCount: z.number().int().positive().default(1),
  startTime: FleetTime,
  expiredTime: FleetTime.optional(),
  releaseTime: FleetTime.optional(),
});

const FleetTask = z.strictObject({
  taskId: z.string().min(1),
  name: z.string().min(1),
  description: z.string().default(""),
  endpoint: z.string().optional(),
  modelId: z.string().default("am-ernie-speed"),
  runStatus: z.enum(TASK_RUN_STATUSES),
  createTime: FleetTime,
  startTime: FleetTime.optional(),
  finishTime: FleetTime.optional(),
  /** How long the task runs once started; absent: until stopped. */
  durationSeconds: z.number().positive().optional(),
  /** How long a Queuing task waits before it starts; absent: until stopped. */
  queueSeconds: z.number().positive().optional(),
  inputBosUri: z.string().default("bos:/qfhk-demo/input/"),
  outputBosUri: z.string().default("bos:/qfhk-demo/output/"),
});

/** The fleet file: what the emulated account holds when the emulator starts. */
export const FleetSchema = z.strictObject({
  $comment: z.string().optional(),
  computeUnits: z.array(FleetUnit).default([]),
  services: z.array(FleetService).default([]),
  tpmResources: z.array(FleetTpm).default([]),
  batchTasks: z.array(FleetTask).default([]),
});
export type Fleet = z.input<typeof FleetSchema>;
export type ParsedFleet = z.output<typeof FleetSchema>;

/** A fleet file that cannot be read or does not validate; the message names the file and the JSON path. */
export class FleetError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "FleetError";
  override name = "FleetError";
}

/** Validates a fleet object; errors name the source and the JSON path of every problem. */
export function parseFleet(data: unknown, source = "fleet"): ParsedFleet {
  const parsed = FleetSchema.safeParse(data);
  const problems = parsed.success
    ? crossCheckFleet(parsed.data)
    : parsed.error.issues.map((i) => `${i.path.map(String).join(".") || "(top level)"}: ${i.message}`);
  if (problems.length > 0 || !parsed.success) {
    throw new FleetError(problems.map((problem) => `${source}: ${problem}`).join("\n"));
  }
  return parsed.data;
}

/** What the schema cannot see: unique ids, deployments on known units that fit in them. */
function crossCheckFleet(fleet: ParsedFleet): string[] {
  const problems: string[] = [];
  const duplicates = (ids: string[], path: string, field: string) => {
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) problems.push(`${path}.${i}.${field}: duplicate id ${id}`);
      seen.add(id);
    });
  };
  duplicates(
    fleet.computeUnits.map((u) => u.instanceId),
    "computeUnits",
    "instanceId",
  );
  duplicates(
    fleet.services.map((s) => s.serviceId),
    "services",
    "serviceId",
  );
  duplicates(
    fleet.tpmResources.map((r) => r.instanceId),
    "tpmResources",
    "instanceId",
  );
  duplicates(
    fleet.batchTasks.map((t) => t.taskId),
    "batchTasks",
    "taskId",
  );

  const units = new Map(fleet.computeUnits.map((u) => [u.instanceId, u]));
  const deployed = new Map<string, number>();
  fleet.services.forEach((service, si) => {
    const path = `services.${si}`;
    const onUnit = new Set<string>();
    service.deployments.forEach((d, di) => {
      const unit = units.get(d.instanceId);
      if (!unit) problems.push(`${path}.deployments.${di}.instanceId: no compute unit ${d.instanceId}`);
      else if (unit.status === "Released" && d.replicas > 0)
        problems.push(`${path}.deployments.${di}.instanceId: compute unit ${d.instanceId} is Released`);
      if (onUnit.has(d.instanceId))
        problems.push(`${path}.deployments.${di}.instanceId: a second deployment on ${d.instanceId}`);
      onUnit.add(d.instanceId);
      deployed.set(d.instanceId, (deployed.get(d.instanceId) ?? 0) + d.replicas * d.computeUnitsPerReplica);
    });
    const replicas = service.deployments.reduce((n, d) => n + d.replicas, 0);
    if (service.runStatus === "Serving" && replicas === 0)
      problems.push(`${path}.runStatus: Serving needs at least one replica in deployments`);
    if (service.runStatus === "Stopped" && replicas > 0)
      problems.push(`${path}.runStatus: Stopped but deployments have ${replicas} replicas`);
  });
  fleet.computeUnits.forEach((u, i) => {
    const path = `computeUnits.${i}.usedComputeUnits`;
    const byServices = deployed.get(u.instanceId) ?? 0;
    if (u.usedComputeUnits < byServices)
      problems.push(
        `${path}: ${u.usedComputeUnits} is less than the ${byServices} its services' deployments use`,
      );
    if (u.usedComputeUnits > u.totalComputeUnits)
      problems.push(`${path}: ${u.usedComputeUnits} is more than totalComputeUnits ${u.totalComputeUnits}`);
  });
  return problems;
}

/** Reads and validates a fleet JSON file; errors name the file and the JSON path. */
export async function loadFleetFile(path: string): Promise<ParsedFleet> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new FleetError(`${path}: cannot read the fleet file (${reason})`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new FleetError(`${path}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return parseFleet(data, path);
}
