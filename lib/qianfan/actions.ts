/**
 * The console actions the housekeeping jobs use, with their routes and whether they change
 * anything. One table shared by the client, the emulator and the docs.
 * See the Qianfan console API reference, "Actions used by the housekeeping jobs".
 */
export const ACTIONS = {
  DescribeComputeUnits: { route: "/v2/computeunit", mutating: false },
  DescribeComputeUnit: { route: "/v2/computeunit", mutating: false },
  ReleaseComputeUnit: { route: "/v2/computeunit", mutating: true },
  AutoReleaseComputeUnit: { route: "/v2/computeunit", mutating: true },
  PurchaseComputeUnit: { route: "/v2/computeunit", mutating: true },
  DescribeServices: { route: "/v2/service", mutating: false },
  DescribeService: { route: "/v2/service", mutating: false },
  ScaleService: { route: "/v2/service", mutating: true },
  PurchaseTPMResource: { route: "/v2/charge", mutating: true },
  DescribeTPMResource: { route: "/v2/charge", mutating: false },
  ReleaseTPMResource: { route: "/v2/charge", mutating: true },
  DescribeBatchInferenceTasks: { route: "/v2/batchinference", mutating: false },
  DescribeBatchInferenceTask: { route: "/v2/batchinference", mutating: false },
  StopBatchInferenceTask: { route: "/v2/batchinference", mutating: true },
} as const satisfies Record<string, { route: string; mutating: boolean }>;

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
/** Models PurchaseTPMResource accepts (seed 003). */
export const TPM_MODELS = [
  "ernie-4.0-8k",
  "ernie-4.0-8k-preview",
  "ernie-4.0-turbo-8k",
  "ernie-4.0-turbo-8k-preview",
  "ernie-4.0-turbo-8k-0628",
  "ernie-4.0-turbo-128k",
  "ernie-3.5-8k",
  "ernie-3.5-8k-preview",
  "ernie-3.5-128k",
  "ernie-3.5-128k-preview",
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
/** Page size limits of the paged Describe* actions. */
export const PAGE_DEFAULT_MAX_KEYS = 10;
export const PAGE_MAX_KEYS = 100;
