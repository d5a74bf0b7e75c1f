/** One console action: where it is served, its `Action` query value, and whether it changes anything. */
export interface ActionSpec {
  route: string;
  action: string;
  mutating: boolean;
}

/**
 * The console actions the housekeeping jobs use. One table shared by the client, the emulator and
 * the docs. An action is identified by its route and its `Action` value together: the same Action
 * name is served on more than one route (`DescribeComputeUnits` lists the account's units on
 * `/v2/computeunit` and one service's units on `/v2/serviceresources`). The key is the Action name
 * on the route the jobs use most, and `route?Action=name` for the others.
 * See the Qianfan console API reference, "Actions used by the housekeeping jobs".
 */
export const ACTIONS = {
  DescribeComputeUnits: { route: "/v2/computeunit", action: "DescribeComputeUnits", mutating: false },
  DescribeComputeUnit: { route: "/v2/computeunit", action: "DescribeComputeUnit", mutating: false },
  ReleaseComputeUnit: { route: "/v2/computeunit", action: "ReleaseComputeUnit", mutating: true },
  AutoReleaseComputeUnit: { route: "/v2/computeunit", action: "AutoReleaseComputeUnit", mutating: true },
  PurchaseComputeUnit: { route: "/v2/computeunit", action: "PurchaseComputeUnit", mutating: true },
  // One service's units and replicas (documented on /v2/serviceresources; the older
  // /v2/charge DescribeServiceResources is being retired).
  "/v2/serviceresources?Action=DescribeComputeUnits": {
    route: "/v2/serviceresources",
    action: "DescribeComputeUnits",
    mutating: false,
  },
  "/v2/serviceresources?Action=DescribeComputeUnit": {
    route: "/v2/serviceresources",
    action: "DescribeComputeUnit",
    mutating: false,
  },
  DescribeServices: { route: "/v2/service", action: "DescribeServices", mutating: false },
  DescribeService: { route: "/v2/service", action: "DescribeService", mutating: false },
  ScaleService: { route: "/v2/service", action: "ScaleService", mutating: true },
  PurchaseTPMResource: { route: "/v2/charge", action: "PurchaseTPMResource", mutating: true },
  DescribeTPMResource: { route: "/v2/charge", action: "DescribeTPMResource", mutating: false },
  ReleaseTPMResource: { route: "/v2/charge", action: "ReleaseTPMResource", mutating: true },
  DescribeBatchInferenceTasks: {
    route: "/v2/batchinference",
    action: "DescribeBatchInferenceTasks",
    mutating: false,
  },
  DescribeBatchInferenceTask: {
    route: "/v2/batchinference",
    action: "DescribeBatchInferenceTask",
    mutating: false,
  },
  StopBatchInferenceTask: { route: "/v2/batchinference", action: "StopBatchInferenceTask", mutating: true },
} as const satisfies Record<string, ActionSpec>;

/** The service-resources actions, by their keys in {@link ACTIONS}. */
export const SERVICE_UNITS_ACTION = "/v2/serviceresources?Action=DescribeComputeUnits";
export const SERVICE_UNIT_ACTION = "/v2/serviceresources?Action=DescribeComputeUnit";

export type ActionName = keyof typeof ACTIONS;

/** Actions that spend money: their unknown outcome must never be resolved by sending them again. */
export const PURCHASE_ACTIONS: ReadonlySet<ActionName> = new Set([
  "PurchaseTPMResource",
  "PurchaseComputeUnit",
]);

/** True when `name` is one of the actions in {@link ACTIONS}. */
export function isActionName(name: string): name is ActionName {
  return Object.hasOwn(ACTIONS, name);
}

/** The key of the action served at `route` as `Action=action`, or undefined when none is. */
export function findAction(route: string, action: string): ActionName | undefined {
  for (const [key, spec] of Object.entries(ACTIONS) as Array<[ActionName, ActionSpec]>) {
    if (spec.route === route && spec.action === action) return key;
  }
  return undefined;
}

/** The routes an `Action` name is served on (for a hint when it is sent to the wrong one). */
export function routesOf(action: string): string[] {
  return Object.values(ACTIONS as Record<string, ActionSpec>)
    .filter((spec) => spec.action === action)
    .map((spec) => spec.route);
}

/** True when the action changes state on the platform (release, scale, stop, purchase). */
export function isMutatingAction(name: string): boolean {
  return isActionName(name) && ACTIONS[name].mutating;
}

/** Enumerations the platform documents (seed 001, the reference's action table). */
export const REGIONS = ["bj", "bd", "sz", "gz", "yq", "global"] as const;
export const QUERY_REGIONS = ["bj", "bd"] as const;
export const PAYMENT_TIMINGS = ["Prepaid", "Postpaid"] as const;
export const UNIT_TYPES = ["CPU", "gpu-1", "gpu-2", "gpu-3", "gpu-4", "gpu-5", "gpu-6"] as const;
export const UNIT_STATUSES = [
  "Creating",
  "CreateFailed",
  "Running",
  "Releasing",
  "Released",
  "Reconfiguring",
  "ReconfigureFailed",
  "BillingChanging",
] as const;
export const SERVICE_RUN_STATUSES = ["New", "Deploying", "Serving", "Failed", "Stopped"] as const;
export const TPM_STATUSES = ["Creating", "Running", "Stopped"] as const;
export const TASK_RUN_STATUSES = [
  "Queuing",
  "Running",
  "Done",
  "Stopping",
  "Stopped",
  "Failed",
  "Expired",
] as const;
/** When {@link TPM_MODELS} was read off Baidu's PurchaseTPMResource and DescribeTPMResource pages. */
export const TPM_MODELS_LISTED_ON = "2025-09-15";

/**
 * The models the PurchaseTPMResource docs listed on {@link TPM_MODELS_LISTED_ON}
 * (https://cloud.baidu.com/doc/WENXINWORKSHOP/s/pltmk8zoc, updated 2025-09-12; the 2025-05-16 page
 * of seed 003 still listed ernie-3.5-* and ernie-4.0-*, which are gone). The list changes as models
 * come and go, so it is advice, not a rule: a model not in it loads with a warning, and the
 * platform's answer decides. The emulator, standing in for the platform, accepts only these.
 */
export const TPM_MODELS = [
  "ernie-4.5-turbo-128k",
  "ernie-speed-8k",
  "ernie-speed-128k",
  "ernie-speed-pro-128k",
  "ernie-lite-8k",
  "ernie-lite-pro-128k",
  "ernie-tiny-8k",
  "ernie-character-fiction-8k",
  "ernie-char-8k",
  "ernie-novel-8k",
  "ernie-speed-appbuilder-8k",
  "qianfan-agent-speed-8k",
  "qianfan-agent-speed-32k",
  "qianfan-agent-lite-8k",
] as const;

/** True when `model` is one of the models the docs listed on {@link TPM_MODELS_LISTED_ON}. */
export function isListedTpmModel(model: string): boolean {
  return (TPM_MODELS as readonly string[]).includes(model);
}
/** Page size limits of the paged Describe* actions. */
export const PAGE_DEFAULT_MAX_KEYS = 10;
export const PAGE_MAX_KEYS = 100;
