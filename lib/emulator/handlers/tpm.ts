import { z } from "zod";
import { PAYMENT_TIMINGS, TPM_MODELS, TPM_STATUSES } from "../../qianfan/actions";
import { invalidParameter } from "../errors";
import { type EmulatorState, newInstanceId, type TpmRecord } from "../state";
import { defineHandler, formatTime, Id, PlatformTime } from "./request";

/**
 * Tokens and requests per minute one purchased unit of quota adds: "TPM配额单位规格为10000TPM、33RPM"
 * (ResizeTPMResource, https://cloud.baidu.com/doc/qianfan-api/s/9mo1gaa01).
 */
const TPM_PER_COUNT = 10_000;
const RPM_PER_COUNT = 33;

/**
 * A TPM quota instance as DescribeTPMResource lists it: the documented fields only (no
 * `purchaseCount` or `model`, which no page shows; the count shows as `tpm` and `rpm`).
 */
export function viewTpm(r: TpmRecord): Record<string, unknown> {
  return {
    instanceId: r.instanceId,
    paymentTiming: r.paymentTiming,
    rpm: r.purchaseCount * RPM_PER_COUNT,
    tpm: r.purchaseCount * TPM_PER_COUNT,
    status: r.status,
    startTime: formatTime(r.startTime),
    ...(r.expiredTime || r.releaseTime ? { expiredTime: formatTime(r.expiredTime ?? r.releaseTime) } : {}),
    ...(r.releaseTime ? { releaseTime: formatTime(r.releaseTime) } : {}),
  };
}

const Model = z.enum(TPM_MODELS);

/** PurchaseTPMResource (seed 003), DescribeTPMResource, ReleaseTPMResource. */
export const tpmHandlers = {
  PurchaseTPMResource: defineHandler(
    z.looseObject({
      model: Model,
      billing: z.looseObject({ paymentTiming: z.literal("Postpaid"), releaseTime: PlatformTime.optional() }),
      purchaseCount: z.number().int().positive(),
    }),
    (state: EmulatorState, body) => {
      const now = state.clock.now();
      const instanceId = newInstanceId("tpm");
      state.tpm.push({
        instanceId,
        model: body.model,
        paymentTiming: "Postpaid",
        status: "Creating",
        purchaseCount: body.purchaseCount,
        startTime: now,
        releaseTime: body.billing.releaseTime,
        since: now,
        listedFrom: state.listedFromNow(),
      });
      return { instanceId };
    },
  ),

  DescribeTPMResource: defineHandler(
    z.looseObject({
      model: Model,
      paymentTiming: z.enum(PAYMENT_TIMINGS).optional(),
      instanceId: z.string().optional(),
      status: z.enum(TPM_STATUSES).optional(),
    }),
    (state, filter) => ({
      instances: state.tpm
        .filter(
          (r) =>
            state.isListed(r) &&
            r.model === filter.model &&
            (!filter.paymentTiming || r.paymentTiming === filter.paymentTiming) &&
            (!filter.instanceId || r.instanceId === filter.instanceId) &&
            (!filter.status || r.status === filter.status),
        )
        .map(viewTpm),
    }),
  ),

  // Released quota shows Stopped for a while, then leaves the listing.
  ReleaseTPMResource: defineHandler(z.looseObject({ model: Model, instanceId: Id }), (state, body) => {
    const instance = state.findTpm(body.model, body.instanceId);
    if (instance.status !== "Running") {
      throw invalidParameter(
        "instanceId",
        `TPM instance ${instance.instanceId} is ${instance.status}; only a Running one can be released`,
      );
    }
    instance.status = "Stopped";
    instance.since = state.clock.now();
    return true;
  }),
};
