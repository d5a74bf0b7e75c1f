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

const BEIJING_OFFSET_MINUTES = 8 * 60;
const PLACEHOLDER_WORDS = new Set(["", "-", "--", "null", "n/a"]);
const DAY_MS = 86_400_000;
/** 0001-01-01T00:00:00Z, what Go services send for a time never set. */
const GO_ZERO_MS = Date.parse("0001-01-01T00:00:00Z");
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const code = (character: string) => character.charCodeAt(0);
const [ZERO, NINE, DASH, COLON, DOT, PLUS] = [
  code("0"),
  code("9"),
  code("-"),
  code(":"),
  code("."),
  code("+"),
];

/** The number written by `count` ASCII digits at `at`, or -1 where one is not a digit. */
function digitsAt(value: string, at: number, count: number): number {
  let number = 0;
  for (let index = at; index < at + count; index += 1) {
    const code = value.charCodeAt(index);
    if (!(code >= ZERO && code <= NINE)) return -1;
    number = number * 10 + (code - ZERO);
  }
  return number;
}

function isDigitAt(value: string, index: number): boolean {
  const code = value.charCodeAt(index);
  return code >= ZERO && code <= NINE;
}

/** Where the optional fraction after an RFC 3339 time's seconds ends: 19 for none, -1 for a bare dot. */
function fractionEnd(value: string): number {
  if (value.charCodeAt(19) !== DOT) return 19;
  let index = 20;
  while (isDigitAt(value, index)) index += 1;
  return index === 20 ? -1 : index;
}

/** The fraction's first three digits as milliseconds (an RFC 3339 time's, read past the rest). */
function fractionMs(value: string, end: number): number {
  let ms = 0;
  for (let index = 20; index < 23; index += 1) {
    ms = ms * 10 + (index < end ? value.charCodeAt(index) - ZERO : 0);
  }
  return ms;
}

/** The zone offset in minutes written at `index` to the end: `Z`, `±hh:mm`, or undefined. */
function zoneAt(value: string, index: number): number | undefined {
  const zone = value[index];
  if ((zone === "Z" || zone === "z") && index + 1 === value.length) return 0;
  if ((zone === "+" || zone === "-") && index + 6 === value.length && value.charCodeAt(index + 3) === COLON) {
    const hours = digitsAt(value, index + 1, 2);
    const minutes = digitsAt(value, index + 4, 2);
    if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59) return undefined;
    return (value.charCodeAt(index) === PLUS ? 1 : -1) * (hours * 60 + minutes);
  }
  return undefined;
}

/**
 * A time string of either form read: `YYYY-MM-DD hh:mm:ss` (Beijing time), or RFC 3339
 * `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)` with `T` and `Z` in either case. The instant in ms,
 * "placeholder" for a zero year, month or day, or undefined for anything else. Read by character
 * codes into numbers, because every unit and task of every listing carries such times.
 */
function readTimeString(value: string): number | "placeholder" | undefined {
  if (value.length < 19) return undefined;
  const year = digitsAt(value, 0, 4);
  const month = digitsAt(value, 5, 2);
  const day = digitsAt(value, 8, 2);
  const hour = digitsAt(value, 11, 2);
  const minute = digitsAt(value, 14, 2);
  const second = digitsAt(value, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  if (value.charCodeAt(4) !== DASH || value.charCodeAt(7) !== DASH) return undefined;
  if (value.charCodeAt(13) !== COLON || value.charCodeAt(16) !== COLON) return undefined;
  let offsetMinutes: number | undefined = BEIJING_OFFSET_MINUTES;
  let ms = 0;
  const separator = value[10];
  if (separator === " ") {
    if (value.length !== 19) return undefined;
  } else if (separator === "T" || separator === "t") {
    const end = fractionEnd(value);
    offsetMinutes = end < 0 ? undefined : zoneAt(value, end);
    if (offsetMinutes === undefined) return undefined;
    ms = fractionMs(value, end);
  } else return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  if (year === 0 || month === 0 || day === 0) return "placeholder";
  if (month > 12 || day > daysInMonth(year, month)) return undefined;
  const timeOfDayMs = ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  return daysFromEpoch(year, month, day) * DAY_MS + timeOfDayMs - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (the one `Date` uses), by
 * whole 400-year eras; years 0–99 included, which `Date.UTC` would read as 1900–1999.
 */
function daysFromEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Whether a value could be one of PLACEHOLDER_WORDS once trimmed: a time begins with a digit. */
function mayBePlaceholderWord(value: string): boolean {
  return value.length <= 5 || !isDigitAt(value, 0);
}

/** A time string read: its instant in ms, "placeholder" for "no time", or undefined for neither. */
function readPlatformTime(value: string): number | "placeholder" | undefined {
  if (mayBePlaceholderWord(value) && PLACEHOLDER_WORDS.has(value.trim().toLowerCase())) return "placeholder";
  const at = readTimeString(value);
  if (at === undefined || at === "placeholder") return at;
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
