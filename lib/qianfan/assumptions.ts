/**
 * What the library assumes about the platform's answers where no published page settles it, or
 * where a page could be out of date. Each assumption is named here once, with the place in the code
 * that depends on it and what happens when it does not hold; `qfhk doctor` checks each one it can
 * against a real account and prints what held.
 */
export interface Assumption {
  id: AssumptionId;
  /** What is assumed, in one sentence. */
  statement: string;
  /** The code that relies on it. */
  reliedOnBy: string;
  /** What the jobs do when it does not hold. */
  ifWrong: string;
}

export type AssumptionId =
  | "unit-fields"
  | "service-list-shape"
  | "service-protocol-versions"
  | "paging-markers"
  | "service-resources-shape"
  | "service-usage-list"
  | "tpm-fields"
  | "task-fields"
  | "task-start-time"
  | "purchase-result";

export const ASSUMPTIONS: Readonly<Record<AssumptionId, Assumption>> = {
  "unit-fields": {
    id: "unit-fields",
    statement:
      "DescribeComputeUnits lists each unit with instanceId, region, status, type, totalComputeUnits, usedComputeUnits, paymentTiming, startTime and creator (seed 001)",
    reliedOnBy:
      "ComputeUnitSchema (lib/qianfan/schemas.ts); release-units, whose last look before a batch of releases is a listing (usedComputeUnits above 0: busy, not released); scale-services, which checks a batch's restores against one listing's totalComputeUnits and usedComputeUnits and measures what a replica frees from the listings before and after a batch",
    ifWrong: "a unit lacking a field is reported as invalid and never released",
  },
  "service-list-shape": {
    id: "service-list-shape",
    statement:
      "DescribeServices answers {serviceList, pageInfo{isTruncated, nextMarker?}} and each service has serviceId, name and runStatus (the list page shows no response fields)",
    reliedOnBy: "DescribeServicesResult, ServiceSchema (lib/qianfan/schemas.ts); scale-services",
    ifWrong: "the listing fails and scale-services changes nothing",
  },
  "service-protocol-versions": {
    id: "service-protocol-versions",
    statement:
      "DescribeServices lists the services of one protocolVersion at a time; 1 and 2 together list them all",
    reliedOnBy: "SERVICE_PROTOCOL_VERSIONS (lib/qianfan/operations.ts)",
    ifWrong: "a service listed under neither version is reported as matching no service",
  },
  "paging-markers": {
    id: "paging-markers",
    statement:
      "a truncated page gives pageInfo.nextMarker, the start of the next page; without it the walk goes on from the page's last id",
    reliedOnBy: "nextPageMarker and #paginate (lib/qianfan/operations.ts)",
    ifWrong: "a page that repeats items fails the listing as untrusted; nothing is acted on",
  },
  "service-resources-shape": {
    id: "service-resources-shape",
    statement:
      "DescribeComputeUnits on /v2/serviceresources answers {instances: [{instanceId, replicasCount, paymentTiming, status}]} for one serviceId",
    reliedOnBy:
      "ServiceUnitSchema, replicasOnUnit (lib/qianfan); scale-services, whose plan, last look and confirmation of a batch of scales are these listings (a unit the service is scaled to 0 on is no longer listed: 0 replicas)",
    ifWrong:
      "a service whose replicas cannot be read is reported and not scaled; a scale its listing does not then show is reported as not confirmed",
  },
  "service-usage-list": {
    id: "service-usage-list",
    statement:
      "DescribeComputeUnit's serviceUsageList items carry serviceId and deploymentReplicasCount (or replicasCount); the page names no item fields",
    reliedOnBy:
      "readServiceUsage (lib/qianfan/schemas.ts); the last look of a release from chat (lastLookBeforeRelease). The jobs' batched releases look at the listing's usedComputeUnits, which DescribeComputeUnits lists",
    ifWrong: "an entry that cannot be read counts as a service using the unit, so the unit is not released",
  },
  "tpm-fields": {
    id: "tpm-fields",
    statement:
      "DescribeTPMResource lists {instances: [{instanceId, paymentTiming, status, …}]}; expiredTime may be a placeholder such as '-'",
    reliedOnBy: "TpmInstanceSchema (lib/qianfan/schemas.ts); tpm-windows",
    ifWrong: "an instance lacking a field is reported as invalid and never released",
  },
  "task-fields": {
    id: "task-fields",
    statement:
      "DescribeBatchInferenceTasks answers {taskList, pageInfo} and each task has taskId, name, runStatus and createTime",
    reliedOnBy: "BatchTaskSchema (lib/qianfan/schemas.ts); stop-batch-tasks",
    ifWrong: "a task lacking a field is reported as invalid and never stopped",
  },
  "task-start-time": {
    id: "task-start-time",
    statement:
      "a batch task may give startTime (in no source); without it runtime is counted from createTime, queue time included",
    reliedOnBy: "taskStartTime (lib/jobs/stop-batch-tasks/plan.ts)",
    ifWrong: "runtime includes time in the queue; each report says when it was counted from createTime",
  },
  "purchase-result": {
    id: "purchase-result",
    statement:
      "PurchaseComputeUnit answers {instanceId} as PurchaseTPMResource does (seed 003); doctor never buys, so this is not checked",
    reliedOnBy: "PurchaseResult (lib/qianfan/schemas.ts)",
    ifWrong: "a purchase whose answer lacks instanceId is settled by listing, never bought again",
  },
};
