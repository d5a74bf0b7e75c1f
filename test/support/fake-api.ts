import type { ActionOutcome, CheckedList, ComputeUnit, QianfanApi, ServiceUsage } from "../../lib/qianfan";
import { QianfanApiError } from "../../lib/qianfan";

/** A small stand-in for QianfanApi's compute-unit operations, counting every mutating call. */
export class FakeUnitApi {
  readonly units = new Map<string, ComputeUnit>();
  readonly usage = new Map<string, ServiceUsage[]>();
  readonly releases: string[] = [];
  invalid: CheckedList<ComputeUnit>["invalid"] = [];
  failListing = false;
  failRelease = new Set<string>();
  /** Units that become busy after the first listing, before the release (the last look must catch it). */
  busyAtLastLook = new Set<string>();
  /** DescribeComputeUnits calls so far. */
  listings = 0;

  constructor(units: ComputeUnit[] = []) {
    for (const u of units) this.units.set(u.instanceId, { ...u });
  }

  get mutatingCalls(): number {
    return this.releases.length;
  }

  asApi(): QianfanApi {
    return this as unknown as QianfanApi;
  }

  /** The run's deadline is carried by the real api's calls; this stand-in's calls never wait. */
  withCallDefaults(): QianfanApi {
    return this.asApi();
  }

  async describeComputeUnitsChecked(): Promise<CheckedList<ComputeUnit>> {
    if (this.failListing) {
      throw new QianfanApiError({
        action: "DescribeComputeUnits",
        status: 500,
        code: "InternalError",
        message: "boom",
        requestId: "req-list",
        retryable: true,
        outcome: "unknown",
      });
    }
    this.listings += 1;
    const busy = (u: ComputeUnit) => this.listings > 1 && this.busyAtLastLook.has(u.instanceId);
    return {
      items: [...this.units.values()].map((u) => (busy(u) ? { ...u, usedComputeUnits: 1 } : { ...u })),
      invalid: this.invalid,
      requestId: "req-list",
    };
  }

  async describeComputeUnit(
    instanceId: string,
  ): Promise<{ unit: ComputeUnit; serviceUsage: ServiceUsage[] }> {
    const unit = this.units.get(instanceId);
    if (!unit) throw new Error(`no unit ${instanceId}`);
    if (this.busyAtLastLook.has(instanceId))
      return { unit: { ...unit, usedComputeUnits: 1 }, serviceUsage: [] };
    return { unit: { ...unit }, serviceUsage: this.usage.get(instanceId) ?? [] };
  }

  async releaseComputeUnit(instanceId: string): Promise<ActionOutcome> {
    this.releases.push(instanceId);
    if (this.failRelease.has(instanceId)) {
      throw new QianfanApiError({
        action: "ReleaseComputeUnit",
        status: 400,
        code: "OperationNotAllowed",
        message: "no",
        requestId: `req-${instanceId}`,
        retryable: false,
        outcome: "not-applied",
      });
    }
    const unit = this.units.get(instanceId)!;
    unit.status = "Releasing";
    return { requestId: `req-${instanceId}`, alreadyDone: false };
  }
}

/** A postpaid, Running, unused unit whose auto-release time (2026-11-22) has passed. */
export const expiredUnit = (instanceId: string, over: Partial<ComputeUnit> = {}): ComputeUnit => ({
  instanceId,
  region: "bj",
  status: "Running",
  type: "gpu-1",
  totalComputeUnits: 2,
  usedComputeUnits: 0,
  paymentTiming: "Postpaid",
  startTime: "2026-11-01T00:00:00Z",
  releaseTime: "2026-11-22T00:00:00Z",
  creator: "alice",
  ...over,
});
