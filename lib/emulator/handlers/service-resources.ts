import { z } from "zod";
import { PAYMENT_TIMINGS, SERVICE_UNIT_ACTION, SERVICE_UNITS_ACTION } from "../../qianfan/actions";
import { invalidParameter } from "../errors";
import type { EmulatorState, ServiceRecord, UnitRecord } from "../state";
import { defineHandler, Id } from "./request";

/**
 * A compute unit as one service uses it (`/v2/serviceresources`): the documented `instanceId`,
 * `paymentTiming`, `replicasCount` and `status`. Replicas come from `EmulatorState.replicasOn`, as
 * DescribeService and DescribeComputeUnit's `serviceUsageList` do, so the answers cannot disagree.
 */
function viewServiceUnit(state: EmulatorState, s: ServiceRecord, u: UnitRecord): Record<string, unknown> {
  return {
    instanceId: u.instanceId,
    paymentTiming: u.paymentTiming,
    replicasCount: state.replicasOn(s, u.instanceId),
    status: u.status,
  };
}

/** The units a service is deployed on (a service scaled to zero on a unit no longer uses it). */
function unitsOf(state: EmulatorState, s: ServiceRecord): UnitRecord[] {
  return s.deployments.flatMap((d) => {
    const unit = state.unitById(d.instanceId);
    return unit ? [unit] : [];
  });
}

/** DescribeComputeUnits and DescribeComputeUnit on `/v2/serviceresources`: one service's units. */
export const serviceResourceHandlers = {
  [SERVICE_UNITS_ACTION]: defineHandler(
    z.looseObject({ serviceId: Id, paymentTiming: z.enum(PAYMENT_TIMINGS).optional() }),
    (state, body) => {
      const service = state.findService(body.serviceId);
      return {
        instances: unitsOf(state, service)
          .filter((u) => !body.paymentTiming || u.paymentTiming === body.paymentTiming)
          .map((u) => viewServiceUnit(state, service, u)),
      };
    },
  ),

  [SERVICE_UNIT_ACTION]: defineHandler(
    z.looseObject({ serviceId: Id, instanceId: Id }),
    (state, { serviceId, instanceId }) => {
      const service = state.findService(serviceId);
      const unit = unitsOf(state, service).find((u) => u.instanceId === instanceId);
      if (!unit) {
        throw invalidParameter("instanceId", `service ${serviceId} uses no compute unit ${instanceId}`);
      }
      return { instance: viewServiceUnit(state, service, unit) };
    },
  ),
};
