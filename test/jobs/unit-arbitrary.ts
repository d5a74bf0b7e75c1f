import fc from "fast-check";
import { type ComputeUnit, REGIONS, UNIT_STATUSES } from "../../lib/qianfan";

/** A compute unit of any status, payment, size and use, with its times drawn from `time`. */
export function computeUnitArb(time: fc.Arbitrary<string>): fc.Arbitrary<ComputeUnit> {
  return fc.record({
    instanceId: fc.stringMatching(/^unit-[a-z0-9]{1,6}$/),
    region: fc.constantFrom(...REGIONS),
    status: fc.constantFrom(...UNIT_STATUSES),
    type: fc.constantFrom("gpu-1", "gpu-2", "CPU"),
    totalComputeUnits: fc.integer({ min: 1, max: 16 }),
    usedComputeUnits: fc.integer({ min: 0, max: 16 }),
    paymentTiming: fc.constantFrom("Prepaid" as const, "Postpaid" as const),
    startTime: time,
    expiredTime: fc.option(time, { nil: undefined }),
    releaseTime: fc.option(time, { nil: undefined }),
    creator: fc.constantFrom("alice", "bob", "ml-platform"),
  }) as fc.Arbitrary<ComputeUnit>;
}
