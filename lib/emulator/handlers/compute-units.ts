import { z } from "zod";
import { PAYMENT_TIMINGS, QUERY_REGIONS, REGIONS, UNIT_TYPES } from "../../qianfan/actions";
import { invalidParameter } from "../errors";
import { addMonths, type EmulatorState, newInstanceId, renewMonths, type UnitRecord } from "../state";
import { defineHandler, formatTime, Id, PlatformTime } from "./request";

/** A compute unit as DescribeComputeUnits lists it (seed 001). */
export function viewUnit(state: EmulatorState, u: UnitRecord): Record<string, unknown> {
  const view: Record<string, unknown> = {
    instanceId: u.instanceId,
    region: u.region,
    status: u.status,
    type: u.type,
    totalComputeUnits: u.totalComputeUnits,
    usedComputeUnits: state.usedComputeUnits(u),
    paymentTiming: u.paymentTiming,
    startTime: formatTime(u.startTime),
  };
  if (u.expiredTime) view.expiredTime = formatTime(u.expiredTime);
  if (u.paymentTiming === "Postpaid" && u.releaseTime) view.releaseTime = formatTime(u.releaseTime);
  if (u.paymentTiming === "Prepaid") {
    view.reservationLength = u.reservationLength ?? 1;
    view.reservationTimeUnit = u.reservationTimeUnit ?? "MONTH";
  }
  view.creator = u.creator;
  if (u.autoRenew) view.autoRenew = u.autoRenew;
  return view;
}

/** Only a postpaid unit can be released or given a release time; a prepaid one runs out its term. */
function requirePostpaid(u: UnitRecord, what: string): void {
  if (u.paymentTiming !== "Postpaid") {
    throw invalidParameter("instanceId", `compute unit ${u.instanceId} is prepaid and cannot be ${what}`);
  }
}

function requireRunning(u: UnitRecord): void {
  if (u.status !== "Running") {
    throw invalidParameter(
      "instanceId",
      `compute unit ${u.instanceId} is ${u.status}; the operation needs it Running`,
    );
  }
}

const InstanceRequest = z.looseObject({ instanceId: Id });

/** DescribeComputeUnits, DescribeComputeUnit, ReleaseComputeUnit, AutoReleaseComputeUnit, PurchaseComputeUnit. */
export const computeUnitHandlers = {
  DescribeComputeUnits: defineHandler(
    z.looseObject({
      region: z.enum(QUERY_REGIONS).optional(),
      paymentTiming: z.enum(PAYMENT_TIMINGS).optional(),
      type: z.enum(UNIT_TYPES).optional(),
    }),
    (state, filter) => {
      const now = state.clock.now().getTime();
      return {
        computeUnitInstanceList: state.units
          .filter(
            (u) =>
              state.isListed(u, now) &&
              (!filter.region || u.region === filter.region) &&
              (!filter.paymentTiming || u.paymentTiming === filter.paymentTiming) &&
              (!filter.type || u.type === filter.type),
          )
          .map((u) => viewUnit(state, u)),
      };
    },
  ),

  DescribeComputeUnit: defineHandler(InstanceRequest, (state, { instanceId }) => ({
    computeUnitInstance: viewUnit(state, state.findUnit(instanceId)),
    serviceUsageList: state.servicesOn(instanceId).map((s) => ({
      serviceId: s.serviceId,
      name: s.name,
      deploymentReplicasCount: state.replicasOn(s, instanceId),
      usedComputeUnits: state.computeUnitsOf(s, instanceId),
    })),
  })),

  // The platform releases a unit with services on it (their replicas vanish); guarding is the tool's job.
  ReleaseComputeUnit: defineHandler(InstanceRequest, (state, { instanceId }) => {
    const unit = state.findUnit(instanceId);
    requirePostpaid(unit, "released");
    requireRunning(unit);
    state.beginRelease(unit, state.clock.now(), "ReleaseComputeUnit");
    return true;
  }),

  AutoReleaseComputeUnit: defineHandler(
    z.looseObject({ instanceId: Id, releaseTime: PlatformTime.optional() }),
    (state, body) => {
      const unit = state.findUnit(body.instanceId);
      requirePostpaid(unit, "given an automatic release time");
      requireRunning(unit);
      unit.releaseTime = body.releaseTime;
      state.scheduleUnit(unit);
      return true;
    },
  ),

  PurchaseComputeUnit: defineHandler(
    z.looseObject({
      computeUnitCount: z.number().int().positive(),
      billing: z.looseObject({
        paymentTiming: z.enum(PAYMENT_TIMINGS),
        releaseTime: PlatformTime.optional(),
        reservation: z
          .looseObject({
            reservationLength: z.number().int().positive().optional(),
            reservationTimeUnit: z.enum(["MONTH", "YEAR"]).optional(),
          })
          .optional(),
      }),
      computeUnitConfig: z.looseObject({ region: z.enum(REGIONS), type: z.enum(UNIT_TYPES) }),
    }),
    (state, body) => {
      const { paymentTiming, releaseTime, reservation } = body.billing;
      if (paymentTiming === "Prepaid" && releaseTime) {
        throw invalidParameter("billing.releaseTime", "only a postpaid unit has an automatic release time");
      }
      const now = state.clock.now();
      const term = {
        renewTime: reservation?.reservationLength ?? 1,
        renewTimeUnit: reservation?.reservationTimeUnit ?? "MONTH",
      };
      const instanceId = newInstanceId("unit");
      state.addUnit({
        instanceId,
        region: body.computeUnitConfig.region,
        status: "Creating",
        type: body.computeUnitConfig.type,
        totalComputeUnits: body.computeUnitCount,
        baselineUsed: 0,
        paymentTiming,
        startTime: now,
        ...(paymentTiming === "Prepaid"
          ? {
              expiredTime: addMonths(now, renewMonths(term)),
              reservationLength: term.renewTime,
              reservationTimeUnit: term.renewTimeUnit,
            }
          : { releaseTime }),
        creator: "qfhk-emulator",
        autoReleaseSkipped: false,
        since: now,
        listedFrom: state.listedFromNow(),
      });
      return { instanceId };
    },
  ),
};
