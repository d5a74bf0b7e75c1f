import { z } from "zod";
import {
  PAYMENT_TIMINGS,
  REGIONS,
  SERVICE_RUN_STATUSES,
  TASK_RUN_STATUSES,
  TPM_STATUSES,
  UNIT_STATUSES,
} from "./actions";

/**
 * Result schemas of the console actions. Objects are loose (unknown fields pass through, so a
 * platform that adds a field does not break a run), while every field a decision depends on is
 * required and typed: a result that lacks one is rejected with the field's path.
 * Fields the reference marks "not confirmed" are optional here.
 */

/** An RFC 3339 time, or Beijing-time `YYYY-MM-DD hh:mm:ss` as the platform also accepts. */
export const TimeString = z.string().refine((value) => parsePlatformTime(value) !== undefined, {
  message: "expected an RFC 3339 time or 'YYYY-MM-DD hh:mm:ss'",
});

const BEIJING_LOCAL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/**
 * Parses a platform time: RFC 3339 with a zone, or `YYYY-MM-DD hh:mm:ss` in Beijing time (UTC+8,
 * no DST), as the `releaseTime` docs allow (seed 003). Returns undefined for anything else.
 */
export function parsePlatformTime(value: string): Date | undefined {
  const local = BEIJING_LOCAL.exec(value);
  if (local) {
    const [, y, mo, d, h, mi, s] = local.map(Number) as number[];
    const date = new Date(Date.UTC(y!, mo! - 1, d!, h! - 8, mi!, s!));
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  if (!RFC3339.test(value)) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const NonNegativeInt = z.number().int().nonnegative();

/** A compute unit, as DescribeComputeUnits lists it (seed 001). */
export const ComputeUnitSchema = z.looseObject({
  instanceId: z.string().min(1),
  region: z.enum(REGIONS),
  status: z.enum(UNIT_STATUSES),
  type: z.string().min(1),
  totalComputeUnits: NonNegativeInt,
  usedComputeUnits: NonNegativeInt,
  paymentTiming: z.enum(PAYMENT_TIMINGS),
  startTime: TimeString,
  expiredTime: TimeString.optional(),
  releaseTime: TimeString.optional(),
  reservationLength: z.number().int().optional(),
  reservationTimeUnit: z.string().optional(),
  creator: z.string(),
  autoRenew: z
    .looseObject({ renewTime: z.number().optional(), renewTimeUnit: z.string().optional() })
    .optional(),
});
export type ComputeUnit = z.infer<typeof ComputeUnitSchema>;

export const DescribeComputeUnitsResult = z.looseObject({
  computeUnitInstanceList: z.array(ComputeUnitSchema),
});

/**
 * One service's use of a compute unit, in DescribeComputeUnit's `serviceUsageList`.
 * Not confirmed by a published page: field names follow ScaleService's request
 * (`serviceId`, `deploymentReplicasCount`).
 */
export const ServiceUsageSchema = z.looseObject({
  serviceId: z.string().min(1),
  name: z.string().optional(),
  deploymentReplicasCount: NonNegativeInt,
  usedComputeUnits: NonNegativeInt.optional(),
});
export type ServiceUsage = z.infer<typeof ServiceUsageSchema>;

export const DescribeComputeUnitResult = z.looseObject({
  computeUnitInstance: ComputeUnitSchema,
  serviceUsageList: z.array(ServiceUsageSchema),
});

/** PurchaseComputeUnit's result (not confirmed: `{instanceId}` like PurchaseTPMResource). */
export const PurchaseResult = z.looseObject({ instanceId: z.string().min(1) });

/** Paging of the Describe* list actions (shape from the official SDK's mock, not confirmed). */
export const PageInfoSchema = z.looseObject({
  marker: z.string().optional(),
  maxKeys: z.number().int().optional(),
  isTruncated: z.boolean(),
  nextMarker: z.string().optional(),
});
export type PageInfo = z.infer<typeof PageInfoSchema>;

/** A custom service (DescribeService; list fields not confirmed). */
export const ServiceSchema = z.looseObject({
  serviceId: z.string().min(1),
  name: z.string(),
  runStatus: z.enum(SERVICE_RUN_STATUSES),
  chargeType: z.string().optional(),
  payType: z.string().optional(),
  createTime: TimeString.optional(),
  updateTime: TimeString.optional(),
  creator: z.string().optional(),
  resourceConfig: z
    .looseObject({
      type: z.string().optional(),
      qps: z.number().optional(),
      replicasCount: NonNegativeInt.optional(),
      region: z.string().optional(),
    })
    .optional(),
});
export type Service = z.infer<typeof ServiceSchema>;

export const DescribeServicesResult = z.looseObject({
  serviceList: z.array(ServiceSchema),
  pageInfo: PageInfoSchema,
});

/** A TPM quota instance (DescribeTPMResource). */
export const TpmInstanceSchema = z.looseObject({
  instanceId: z.string().min(1),
  paymentTiming: z.enum(PAYMENT_TIMINGS),
  rpm: z.number().optional(),
  tpm: z.number().optional(),
  status: z.enum(TPM_STATUSES),
  startTime: TimeString.optional(),
  expiredTime: TimeString.optional(),
  purchaseCount: z.number().int().optional(),
});
export type TpmInstance = z.infer<typeof TpmInstanceSchema>;

export const DescribeTpmResourceResult = z.looseObject({ instances: z.array(TpmInstanceSchema) });

/** A batch inference task (DescribeBatchInferenceTasks). `startTime` is not confirmed. */
export const BatchTaskSchema = z.looseObject({
  taskId: z.string().min(1),
  name: z.string(),
  description: z.string().optional(),
  endpoint: z.string().optional(),
  modelId: z.string().optional(),
  runStatus: z.enum(TASK_RUN_STATUSES),
  createTime: TimeString,
  startTime: TimeString.optional(),
  finishTime: TimeString.optional(),
});
export type BatchTask = z.infer<typeof BatchTaskSchema>;

export const DescribeBatchTasksResult = z.looseObject({
  taskList: z.array(BatchTaskSchema),
  pageInfo: PageInfoSchema,
});

/** `result: true` of the mutating actions (seeds 000, 002, 004). */
export const TrueResult = z.literal(true);
