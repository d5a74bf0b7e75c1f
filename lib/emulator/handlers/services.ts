import { z } from "zod";
import { SERVICE_RUN_STATUSES } from "../../qianfan/actions";
import { invalidParameter } from "../errors";
import type { EmulatorState, ServiceRecord } from "../state";
import { defineHandler, formatTime, Id, PagingFields, pageOf } from "./request";

function runStatusOf(state: EmulatorState, s: ServiceRecord): string {
  return s.pinnedStatus ?? (state.replicasOn(s) > 0 ? "Serving" : "Stopped");
}

/** A service as DescribeService answers it, plus the emulator's `deployments` (one per compute unit). */
export function viewService(state: EmulatorState, s: ServiceRecord): Record<string, unknown> {
  return {
    serviceId: s.serviceId,
    name: s.name,
    serviceType: s.serviceType,
    runStatus: runStatusOf(state, s),
    chargeType: s.chargeType,
    payType: s.payType,
    createTime: formatTime(s.createTime),
    updateTime: formatTime(s.updateTime),
    creator: s.creator,
    resourceConfig: {
      type: s.resourceType,
      qps: s.qps,
      replicasCount: state.replicasOn(s),
      region: s.region,
    },
    deployments: s.deployments.map((d) => ({
      instanceId: d.instanceId,
      deploymentReplicasCount: state.replicasOn(s, d.instanceId),
      computeUnitsPerReplica: d.computeUnitsPerReplica,
    })),
  };
}

/** DescribeServices, DescribeService, ScaleService (seed 002). */
export const serviceHandlers = {
  DescribeServices: defineHandler(
    z.looseObject({
      ...PagingFields,
      name: z.string().optional(),
      serviceType: z.array(z.string()).optional(),
      runStatus: z.array(z.enum(SERVICE_RUN_STATUSES)).optional(),
      creator: z.array(z.string()).optional(),
      chargeType: z.string().optional(),
      payType: z.string().optional(),
      protocolVersion: z.union([z.literal(1), z.literal(2)]).optional(),
    }),
    (state, body) => {
      const version = body.protocolVersion ?? 1;
      const matches = (s: ServiceRecord) =>
        s.protocolVersion === version &&
        (!body.name || s.name.includes(body.name)) &&
        (!body.serviceType || body.serviceType.includes(s.serviceType)) &&
        (!body.runStatus || (body.runStatus as string[]).includes(runStatusOf(state, s))) &&
        (!body.creator || body.creator.includes(s.creator)) &&
        (!body.chargeType || s.chargeType === body.chargeType) &&
        (!body.payType || s.payType === body.payType);
      const { list, pageInfo } = pageOf(
        state.services,
        matches,
        (s) => s.serviceId,
        body,
        (id) => state.positionOf("service", id),
      );
      return { serviceList: list.map((s) => viewService(state, s)), pageInfo };
    },
  ),

  DescribeService: defineHandler(z.looseObject({ serviceId: Id }), (state, { serviceId }) =>
    viewService(state, state.findService(serviceId)),
  ),

  ScaleService: defineHandler(
    z.looseObject({ serviceId: Id, instanceId: Id, deploymentReplicasCount: z.number().int().min(0) }),
    (state, body) => {
      const service = state.findService(body.serviceId);
      const unit = state.findUnit(body.instanceId);
      const wanted = body.deploymentReplicasCount;
      const current = state.replicasOn(service, unit.instanceId);
      if (wanted === current) return true;
      if (unit.status !== "Running") {
        throw invalidParameter(
          "instanceId",
          `compute unit ${unit.instanceId} is ${unit.status}; a service can only be scaled on a Running unit`,
        );
      }
      const deployment = service.deployments.find((d) => d.instanceId === unit.instanceId);
      const perReplica = deployment?.computeUnitsPerReplica ?? service.unitsPerReplica;
      const required = (wanted - current) * perReplica;
      const free = unit.totalComputeUnits - state.usedComputeUnits(unit);
      if (required > free) {
        throw invalidParameter(
          "deploymentReplicasCount",
          `not enough free compute units: compute unit ${unit.instanceId} has ${free} free; ${wanted} replicas of ${service.serviceId} need ${required} more`,
        );
      }
      state.setDeployment(service, unit.instanceId, wanted, perReplica);
      // A scaled service is no longer New or Deploying: its status follows the replicas from now on.
      service.pinnedStatus = undefined;
      service.updateTime = state.clock.now();
      return true;
    },
  ),
};
