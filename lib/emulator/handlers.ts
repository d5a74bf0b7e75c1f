import { z } from "zod";
import {
  type ActionName,
  PAGE_DEFAULT_MAX_KEYS,
  PAGE_MAX_KEYS,
  PAYMENT_TIMINGS,
  QUERY_REGIONS,
  REGIONS,
  SERVICE_RUN_STATUSES,
  TASK_RUN_STATUSES,
  TPM_MODELS,
  TPM_STATUSES,
  UNIT_TYPES,
} from "../qianfan/actions";
import { parsePlatformTime } from "../qianfan/schemas";
import { EmulatorError, type EmulatorState } from "./state";

const Id = z.string().min(1);
const PlatformTime = z
  .string()
  .refine((v) => parsePlatformTime(v) !== undefined, { message: "must be RFC 3339 or 'YYYY-MM-DD hh:mm:ss'" })
  .transform((v) => parsePlatformTime(v)!);
const Paging = {
  marker: z.string().optional(),
  maxKeys: z.number().int().min(1).max(PAGE_MAX_KEYS).optional(),
  pageReverse: z.boolean().optional(),
};

/** Request bodies as the docs describe them: required fields and enums are checked. */
const REQUESTS = {
  DescribeComputeUnits: z.looseObject({
    region: z.enum(QUERY_REGIONS).optional(),
    paymentTiming: z.enum(PAYMENT_TIMINGS).optional(),
    type: z.enum(UNIT_TYPES).optional(),
  }),
  DescribeComputeUnit: z.looseObject({ instanceId: Id }),
  ReleaseComputeUnit: z.looseObject({ instanceId: Id }),
  AutoReleaseComputeUnit: z.looseObject({ instanceId: Id, releaseTime: PlatformTime.optional() }),
  PurchaseComputeUnit: z.looseObject({
    computeUnitCount: z.number().int().positive(),
    billing: z.looseObject({
      paymentTiming: z.enum(PAYMENT_TIMINGS),
      releaseTime: PlatformTime.optional(),
      reservation: z.looseObject({}).optional(),
    }),
    computeUnitConfig: z.looseObject({ region: z.enum(REGIONS), type: z.enum(UNIT_TYPES) }),
  }),
  DescribeServices: z.looseObject({
    ...Paging,
    name: z.string().optional(),
    serviceType: z.array(z.string()).optional(),
    runStatus: z.array(z.enum(SERVICE_RUN_STATUSES)).optional(),
    creator: z.array(z.string()).optional(),
    chargeType: z.string().optional(),
    payType: z.string().optional(),
  }),
  DescribeService: z.looseObject({ serviceId: Id }),
  ScaleService: z.looseObject({
    serviceId: Id,
    instanceId: Id,
    deploymentReplicasCount: z.number().int().min(0),
  }),
  PurchaseTPMResource: z.looseObject({
    model: z.enum(TPM_MODELS),
    billing: z.looseObject({ paymentTiming: z.literal("Postpaid"), releaseTime: PlatformTime.optional() }),
    purchaseCount: z.number().int().positive(),
  }),
  DescribeTPMResource: z.looseObject({
    model: z.enum(TPM_MODELS),
    paymentTiming: z.enum(PAYMENT_TIMINGS).optional(),
    instanceId: z.string().optional(),
    status: z.enum(TPM_STATUSES).optional(),
  }),
  ReleaseTPMResource: z.looseObject({ model: z.enum(TPM_MODELS), instanceId: Id }),
  DescribeBatchInferenceTasks: z.looseObject({
    ...Paging,
    runStatus: z.array(z.enum(TASK_RUN_STATUSES)).optional(),
  }),
  DescribeBatchInferenceTask: z.looseObject({ taskId: Id }),
  StopBatchInferenceTask: z.looseObject({ taskId: Id }),
} satisfies Record<ActionName, z.ZodType>;

/** Validates a request body for `action`; the error names the field, as the platform's does. */
export function validateRequest<A extends ActionName>(
  action: A,
  body: unknown,
): z.output<(typeof REQUESTS)[A]> {
  const parsed = REQUESTS[action].safeParse(body ?? {});
  if (parsed.success) return parsed.data as z.output<(typeof REQUESTS)[A]>;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "body";
  const missing = issue.code === "invalid_type" && issue.message.includes("undefined");
  throw new EmulatorError(
    400,
    missing ? "MissingParameter" : "InvalidParameter",
    `${field}: ${missing ? "is required" : issue.message}`,
  );
}

/** One page of a list: `marker` is the id the page starts at; `nextMarker` the next page's first id. */
function page<T>(
  items: T[],
  idOf: (item: T) => string,
  marker: string | undefined,
  maxKeys: number | undefined,
  reverse?: boolean,
) {
  const ordered = reverse ? [...items].reverse() : items;
  const size = maxKeys ?? PAGE_DEFAULT_MAX_KEYS;
  let start = 0;
  if (marker) {
    start = ordered.findIndex((item) => idOf(item) === marker);
    if (start < 0) throw new EmulatorError(400, "InvalidParameter", `marker: ${marker} is not a known id`);
  }
  const slice = ordered.slice(start, start + size);
  const next = ordered[start + size];
  return {
    list: slice,
    pageInfo: {
      marker: marker ?? "",
      maxKeys: size,
      isTruncated: next !== undefined,
      ...(next !== undefined ? { nextMarker: idOf(next) } : {}),
    },
  };
}

/** Runs one validated action against the state and returns its `result`. */
export function handleAction(state: EmulatorState, action: ActionName, rawBody: unknown): unknown {
  state.settle();
  switch (action) {
    case "DescribeComputeUnits":
      return state.describeComputeUnits(validateRequest(action, rawBody));
    case "DescribeComputeUnit":
      return state.describeComputeUnit(validateRequest(action, rawBody).instanceId);
    case "ReleaseComputeUnit":
      return state.releaseComputeUnit(validateRequest(action, rawBody).instanceId);
    case "AutoReleaseComputeUnit": {
      const body = validateRequest(action, rawBody);
      return state.autoReleaseComputeUnit(body.instanceId, body.releaseTime);
    }
    case "PurchaseComputeUnit":
      return state.purchaseComputeUnit(validateRequest(action, rawBody));
    case "DescribeServices": {
      const body = validateRequest(action, rawBody);
      const { list, pageInfo } = page(
        state.describeServices(body),
        (s) => String(s.serviceId),
        body.marker,
        body.maxKeys,
        body.pageReverse,
      );
      return { serviceList: list, pageInfo };
    }
    case "DescribeService":
      return state.describeService(validateRequest(action, rawBody).serviceId);
    case "ScaleService": {
      const body = validateRequest(action, rawBody);
      return state.scaleService(body.serviceId, body.instanceId, body.deploymentReplicasCount);
    }
    case "PurchaseTPMResource": {
      const body = validateRequest(action, rawBody);
      return state.purchaseTpm({
        model: body.model,
        purchaseCount: body.purchaseCount,
        releaseTime: body.billing.releaseTime,
      });
    }
    case "DescribeTPMResource":
      return state.describeTpm(validateRequest(action, rawBody));
    case "ReleaseTPMResource": {
      const body = validateRequest(action, rawBody);
      return state.releaseTpm(body.model, body.instanceId);
    }
    case "DescribeBatchInferenceTasks": {
      const body = validateRequest(action, rawBody);
      const { list, pageInfo } = page(
        state.describeTasks(body),
        (t) => String(t.taskId),
        body.marker,
        body.maxKeys,
        body.pageReverse,
      );
      return { taskList: list, pageInfo };
    }
    case "DescribeBatchInferenceTask":
      return state.describeTask(validateRequest(action, rawBody).taskId);
    case "StopBatchInferenceTask":
      return state.stopTask(validateRequest(action, rawBody).taskId);
  }
}
