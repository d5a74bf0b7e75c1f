import * as z from "../validation";
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

/**
 * A platform time: RFC 3339, Beijing-time `YYYY-MM-DD hh:mm:ss`, or a placeholder for "no time"
 * (`-`, `0000-00-00 00:00:00`, Go's zero time, the Unix epoch…; see `isPlaceholderTime`). A
 * placeholder is valid data that planners read as "no date"; anything else fails validation.
 */
export const TimeString = z.string().check(
  z.refine((value) => readPlatformTime(value) !== undefined, {
    message: "expected an RFC 3339 time, 'YYYY-MM-DD hh:mm:ss', or a placeholder such as '-'",
  }),
);

const BEIJING_LOCAL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/i;
const BEIJING_OFFSET_MINUTES = 8 * 60;
const PLACEHOLDER_WORDS = new Set(["", "-", "--", "null", "n/a"]);
const DAY_MS = 86_400_000;
/** 0001-01-01T00:00:00Z, what Go services send for a time never set. */
const GO_ZERO_MS = Date.parse("0001-01-01T00:00:00Z");

/** The fields of a time string of either form, with the time of day and offset in range. */
interface TimeFields {
  year: number;
  month: number;
  day: number;
  /** Milliseconds since local midnight. */
  timeOfDayMs: number;
  offsetMinutes: number;
}

function readTimeFields(value: string): TimeFields | undefined {
  let offsetMinutes = BEIJING_OFFSET_MINUTES;
  let fraction = "";
  let fields = BEIJING_LOCAL.exec(value);
  if (!fields) {
    fields = RFC3339.exec(value);
    if (!fields) return undefined;
    fraction = fields[7] ?? "";
    if (fields[8]) offsetMinutes = 0;
    else {
      const [oh, om] = [Number(fields[10]), Number(fields[11])];
      if (oh > 23 || om > 59) return undefined;
      offsetMinutes = (fields[9] === "-" ? -1 : 1) * (oh * 60 + om);
    }
  }
  const [year, month, day, hour, minute, second] = fields.slice(1, 7).map(Number) as number[];
  if (hour! > 23 || minute! > 59 || second! > 59) return undefined;
  const ms = Number(fraction.slice(0, 3).padEnd(3, "0"));
  const timeOfDayMs = ((hour! * 60 + minute!) * 60 + second!) * 1000 + ms;
  return { year: year!, month: month!, day: day!, timeOfDayMs, offsetMinutes };
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

/** The instant of a real calendar date, or undefined for a zero or impossible month or day. */
function instantOf(t: TimeFields): number | undefined {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > daysInMonth(t.year, t.month)) return undefined;
  // setUTCFullYear, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(t.year, t.month - 1, t.day);
  return date.getTime() + t.timeOfDayMs - t.offsetMinutes * 60_000;
}

/** A time string read: its instant in ms, "placeholder" for "no time", or undefined for neither. */
function readPlatformTime(value: string): number | "placeholder" | undefined {
  if (PLACEHOLDER_WORDS.has(value.trim().toLowerCase())) return "placeholder";
  const fields = readTimeFields(value);
  if (!fields) return undefined;
  if (fields.year === 0 || fields.month === 0 || fields.day === 0) return "placeholder";
  const at = instantOf(fields);
  if (at === undefined) return undefined;
  if (Math.abs(at) <= DAY_MS || Math.abs(at - GO_ZERO_MS) <= DAY_MS) return "placeholder";
  // Nothing on the platform happened before 1970: an older date is some other zero value, refused
  // rather than read as expired long ago.
  return at < 0 ? undefined : at;
}

/**
 * Whether a time string is the platform's way of saying "no time": empty, `-`, `--`, `null`,
 * `N/A`, a date with a zero year, month or day (`0000-00-00 00:00:00`), or within a day of Go's zero
 * time or of the Unix epoch (`0001-01-01T00:00:00Z`, `1970-01-01 08:00:00`) — unset fields rendered
 * in some zone, never real events, which must not read as "expired long ago".
 */
export function isPlaceholderTime(value: string): boolean {
  return readPlatformTime(value) === "placeholder";
}

/**
 * Parses a platform time: RFC 3339 with a zone, or `YYYY-MM-DD hh:mm:ss` in Beijing time (UTC+8,
 * no DST), as the `releaseTime` docs allow (seed 003). Only real calendar dates and times of day
 * after the Unix epoch are read; a placeholder (`isPlaceholderTime`) or anything else gives
 * undefined, so "no time" can never pass for a time long past.
 */
export function parsePlatformTime(value: string): Date | undefined {
  const at = readPlatformTime(value);
  return typeof at === "number" ? new Date(at) : undefined;
}

const NonNegativeInt = z.number().check(z.int(), z.nonnegative());
const NonEmpty = z.string().check(z.minLength(1));

/** A compute unit, as DescribeComputeUnits lists it (seed 001). */
export const ComputeUnitSchema = z.looseObject({
  instanceId: NonEmpty,
  region: z.enum(REGIONS),
  status: z.enum(UNIT_STATUSES),
  type: NonEmpty,
  totalComputeUnits: NonNegativeInt,
  usedComputeUnits: NonNegativeInt,
  paymentTiming: z.enum(PAYMENT_TIMINGS),
  startTime: TimeString,
  expiredTime: z.optional(TimeString),
  releaseTime: z.optional(TimeString),
  reservationLength: z.optional(z.number().check(z.int())),
  reservationTimeUnit: z.optional(z.string()),
  creator: z.string(),
  autoRenew: z.optional(
    z.looseObject({ renewTime: z.optional(z.number()), renewTimeUnit: z.optional(z.string()) }),
  ),
});
export type ComputeUnit = z.infer<typeof ComputeUnitSchema>;

export const DescribeComputeUnitsResult = z.looseObject({
  computeUnitInstanceList: z.array(ComputeUnitSchema),
});

/**
 * DescribeComputeUnit on `/v2/computeunit`. Its `serviceUsageList` is documented only as "service
 * information", with no item fields, so it is optional and its items are read tolerantly by
 * {@link readServiceUsage}; replicas per service come from `/v2/serviceresources` instead.
 */
export const DescribeComputeUnitResult = z.looseObject({
  computeUnitInstance: ComputeUnitSchema,
  serviceUsageList: z.optional(z.array(z.unknown())),
});

/** One entry of `serviceUsageList`, as far as it could be read. */
export interface ServiceUsage {
  serviceId?: string;
  /** The replicas the entry shows; undefined when no known field carries them. */
  replicas?: number;
}

/**
 * ASSUMPTION (serviceUsageList items): no page shows their fields. An entry is read for a service
 * id (`serviceId`) and a replica count (`deploymentReplicasCount`, the name ScaleService's request
 * uses, or `replicasCount`, the name `/v2/serviceresources` uses). An entry with neither is kept
 * with `replicas` undefined, which readers must treat as "in use": it is not understood.
 */
export function readServiceUsage(list: readonly unknown[] | undefined): ServiceUsage[] {
  return (list ?? []).map((entry) => {
    const fields = entry !== null && typeof entry === "object" ? (entry as Record<string, unknown>) : {};
    const serviceId = typeof fields.serviceId === "string" ? fields.serviceId : undefined;
    const count = [fields.deploymentReplicasCount, fields.replicasCount].find(
      (value) => typeof value === "number" && Number.isInteger(value) && value >= 0,
    ) as number | undefined;
    return { serviceId, replicas: count };
  });
}

/**
 * A compute unit as one service uses it: DescribeComputeUnits / DescribeComputeUnit on
 * `/v2/serviceresources` (documented fields `instanceId`, `paymentTiming`, `replicasCount`,
 * `status`). `replicasCount` is what scale-services decides on, so it is required.
 */
export const ServiceUnitSchema = z.looseObject({
  instanceId: NonEmpty,
  replicasCount: NonNegativeInt,
  paymentTiming: z.optional(z.string()),
  status: z.optional(z.string()),
});
export type ServiceUnit = z.infer<typeof ServiceUnitSchema>;

export const DescribeServiceUnitsResult = z.looseObject({ instances: z.array(z.unknown()) });
export const DescribeServiceUnitResult = z.looseObject({ instance: ServiceUnitSchema });

/** PurchaseComputeUnit's result (not confirmed: `{instanceId}` like PurchaseTPMResource). */
export const PurchaseResult = z.looseObject({ instanceId: NonEmpty });

/** Paging of the Describe* list actions (shape from the official SDK's mock, not confirmed). */
export const PageInfoSchema = z.looseObject({
  marker: z.optional(z.string()),
  maxKeys: z.optional(z.number().check(z.int())),
  isTruncated: z.boolean(),
  nextMarker: z.optional(z.string()),
});
export type PageInfo = z.infer<typeof PageInfoSchema>;

/** A custom service (DescribeService; list fields not confirmed). */
export const ServiceSchema = z.looseObject({
  serviceId: NonEmpty,
  name: z.string(),
  runStatus: z.enum(SERVICE_RUN_STATUSES),
  chargeType: z.optional(z.string()),
  payType: z.optional(z.string()),
  createTime: z.optional(TimeString),
  updateTime: z.optional(TimeString),
  creator: z.optional(z.string()),
  resourceConfig: z.optional(
    z.looseObject({
      type: z.optional(z.string()),
      qps: z.optional(z.number()),
      replicasCount: z.optional(NonNegativeInt),
      region: z.optional(z.string()),
    }),
  ),
});
export type Service = z.infer<typeof ServiceSchema>;

export const DescribeServicesResult = z.looseObject({
  serviceList: z.array(ServiceSchema),
  pageInfo: PageInfoSchema,
});

/**
 * A TPM quota instance (DescribeTPMResource: `instanceId`, `paymentTiming`, `rpm`, `tpm`, `status`,
 * `startTime`, `expiredTime`). What a decision needs is required: the id, the payment timing and a
 * status of the documented three, so an instance in any other state is invalid and never released.
 * `expiredTime` may be a placeholder such as `-` (no release time set), read as no time by
 * `parsePlatformTime`. `purchaseCount` and `model` are in no source: not required, never relied on.
 */
export const TpmInstanceSchema = z.looseObject({
  instanceId: NonEmpty,
  paymentTiming: z.enum(PAYMENT_TIMINGS),
  rpm: z.optional(z.number()),
  tpm: z.optional(z.number()),
  status: z.enum(TPM_STATUSES),
  startTime: z.optional(TimeString),
  expiredTime: z.optional(TimeString),
});
export type TpmInstance = z.infer<typeof TpmInstanceSchema>;

export const DescribeTpmResourceResult = z.looseObject({ instances: z.array(TpmInstanceSchema) });
/** DescribeTPMResource with its items unread, for checking them one by one. */
export const DescribeTpmResourceItems = z.looseObject({ instances: z.array(z.unknown()) });

/** A batch inference task (DescribeBatchInferenceTasks). `startTime` is not confirmed. */
export const BatchTaskSchema = z.looseObject({
  taskId: NonEmpty,
  name: z.string(),
  description: z.optional(z.string()),
  endpoint: z.optional(z.string()),
  modelId: z.optional(z.string()),
  runStatus: z.enum(TASK_RUN_STATUSES),
  createTime: TimeString,
  startTime: z.optional(TimeString),
  finishTime: z.optional(TimeString),
});
export type BatchTask = z.infer<typeof BatchTaskSchema>;

export const DescribeBatchTasksResult = z.looseObject({
  taskList: z.array(BatchTaskSchema),
  pageInfo: PageInfoSchema,
});

/** `result: true` of the mutating actions (seeds 000, 002, 004). */
export const TrueResult = z.literal(true);
