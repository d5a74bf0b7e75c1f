import type { PacingOptions } from "../qianfan/client";
import { DEFAULT_PACING } from "../qianfan/pacer";
import type { HousekeepingConfig } from "./schema";

/**
 * The client's pacing from the config's `qianfan` block. A `requestsPerSecond` the config sets is
 * the account's limit as its owner knows it: the rate starts there (2.5 % under it) and is halved
 * on a throttle, as the AWS SDKs' adaptive mode sends at full speed until the first one. Without
 * one the rate starts moderate and climbs towards the default ceiling, finding a limit it does not
 * know.
 */
export function clientPacing(
  qianfan: Pick<HousekeepingConfig["qianfan"], "requestsPerSecond" | "concurrency">,
): Pick<PacingOptions, "requestsPerSecond" | "startRequestsPerSecond" | "concurrency"> {
  return {
    requestsPerSecond: qianfan.requestsPerSecond ?? DEFAULT_PACING.requestsPerSecond,
    startRequestsPerSecond: qianfan.requestsPerSecond ?? DEFAULT_PACING.startRequestsPerSecond,
    concurrency: qianfan.concurrency,
  };
}
