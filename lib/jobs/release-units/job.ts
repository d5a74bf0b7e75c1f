import { DEFAULT_CONFIRM } from "../../engine/confirm";
import type { Inventory, Job, JobContext, Planned } from "../../engine/job";
import { withoutNewNotice } from "../../engine/notice";
import { describeFailure } from "../../engine/runner";
import type { ActionResult } from "../../engine/types";
import type { ComputeUnit, QianfanApi } from "../../qianfan";
import { RELEASE_UNITS } from "../names";
import {
  planUnitReleasesInTurns,
  type ReleaseUnitAction,
  type ReleaseUnitsContext,
  type ReleaseUnitsPolicy,
  type UnitMark,
} from "./plan";

export { RELEASE_UNITS };

export interface ReleaseUnitsJobOptions {
  policy: ReleaseUnitsPolicy;
  protectedBy: (unit: ComputeUnit) => string | undefined;
  /** How often, and how far apart, the units are listed after a batch of releases to confirm them. */
  confirm?: { attempts: number; delayMs: number };
  sleep?: (ms: number) => Promise<void>;
}

const RELEASED = new Set(["Releasing", "Released"]);

/**
 * The release-units job: lists compute units, plans with {@link planUnitReleases}, and releases
 * the chosen units in batches, each unit only when the plan made again on a listing of a few
 * seconds before still releases it (postpaid, Running, unused, unprotected, unsnoozed, still
 * expired or idle), and confirms each release by the listing after the batch (Releasing or
 * Released; a unit missing from it is not confirmed).
 */
export function releaseUnitsJob(
  options: ReleaseUnitsJobOptions,
): Job<ComputeUnit, ReleaseUnitsContext, ReleaseUnitAction> {
  return {
    name: RELEASE_UNITS,
    touches: ["units"],

    async readInventory(ctx: JobContext): Promise<Inventory<ComputeUnit>> {
      const listing = await ctx.api.describeComputeUnitsChecked();
      const active = listing.items.filter((unit) => unit.status !== "Released").length;
      return { items: listing.items, invalid: listing.invalid, fleetSize: active + listing.invalid.length };
    },

    async loadContext(ctx: JobContext): Promise<ReleaseUnitsContext> {
      const [marks, snoozedUntil] = await Promise.all([
        ctx.memory.getMarks<UnitMark>(RELEASE_UNITS),
        ctx.memory.untilByResource(ctx.now),
      ]);
      return {
        policy: options.policy,
        marks,
        snoozedUntil,
        protectedBy: options.protectedBy,
      };
    },

    // Ten thousand units are planned a thousand at a time: the other jobs' calls go on meanwhile.
    async plan(inventory: Inventory<ComputeUnit>, context: ReleaseUnitsContext, now: Date) {
      const { decisions, marks } = await planUnitReleasesInTurns(inventory.items, context, now);
      return { decisions, memory: marks };
    },

    listed: {
      what: "release",
      idOf: (unit) => unit.instanceId,
      send: (ctx, decision) => ctx.api.releaseComputeUnit(decision.action!.instanceId),
      shows: (unit) =>
        unit
          ? { done: RELEASED.has(unit.status), observed: `status ${unit.status}` }
          : { done: false, observed: "no item for the unit in the listing" },
      confirm: { ...(options.confirm ?? DEFAULT_CONFIRM), sleep: options.sleep },
    },

    async remember(
      ctx: JobContext,
      planned: Planned<ReleaseUnitAction>,
      results: Map<string, ActionResult>,
    ): Promise<void> {
      const marks = new Map(planned.memory as Map<string, UnitMark>);
      for (const [id, result] of results) {
        if (result.status === "done") marks.delete(id);
      }
      if (ctx.dryRun) {
        // A dry run remembers what it saw (idle since), never an announcement it did not make.
        const previous = await ctx.memory.getMarks<UnitMark>(RELEASE_UNITS);
        for (const [id, mark] of marks) marks.set(id, withoutNewNotice(mark, previous.get(id)));
      }
      await ctx.memory.replaceMarks(RELEASE_UNITS, marks);
    },
  };
}

/**
 * The last look before releasing one unit on its own (a chat command): anything but postpaid,
 * Running and unused, by DescribeComputeUnit and its service usage, is a reason to stop.
 */
export async function lastLookBeforeRelease(
  api: QianfanApi,
  instanceId: string,
): Promise<string | undefined> {
  let described: Awaited<ReturnType<QianfanApi["describeComputeUnit"]>>;
  try {
    described = await api.describeComputeUnit(instanceId);
  } catch (error) {
    return `could not look at the unit before releasing it: ${describeFailure(error).message}`;
  }
  const { unit, serviceUsage } = described;
  if (unit.paymentTiming !== "Postpaid") return `the unit now shows ${unit.paymentTiming}`;
  if (unit.status !== "Running") return `the unit now shows status ${unit.status}`;
  if (unit.usedComputeUnits > 0) return `the unit is now busy: ${unit.usedComputeUnits} compute units in use`;
  // An entry whose replicas cannot be read counts as a user: it is not understood.
  const users = serviceUsage.filter((u) => u.replicas === undefined || u.replicas > 0);
  if (users.length > 0) {
    const named = users.map((u) =>
      u.replicas === undefined ? `${u.serviceId ?? "an unnamed service"} (replicas not shown)` : u.serviceId,
    );
    return `services now use the unit: ${named.join(", ")}`;
  }
  return undefined;
}
