import { confirmAction, DEFAULT_CONFIRM } from "../../engine/confirm";
import type { Inventory, Job, JobContext, Planned } from "../../engine/job";
import { withoutNewNotice } from "../../engine/notice";
import { describeFailure } from "../../engine/runner";
import type { ActionResult, Decision } from "../../engine/types";
import type { ComputeUnit, QianfanApi } from "../../qianfan";
import {
  planUnitReleases,
  type ReleaseUnitAction,
  type ReleaseUnitsContext,
  type ReleaseUnitsPolicy,
  type UnitMark,
} from "./plan";

export const RELEASE_UNITS = "release-units";

export interface ReleaseUnitsJobOptions {
  policy: ReleaseUnitsPolicy;
  protectedBy: (unit: ComputeUnit) => string | undefined;
  /** How often, and how far apart, the unit is looked at after a release to confirm it. */
  confirm?: { attempts: number; delayMs: number };
  sleep?: (ms: number) => Promise<void>;
}

const RELEASED = new Set(["Releasing", "Released"]);

/**
 * The release-units job: lists compute units, plans with {@link planUnitReleases}, and releases
 * each chosen unit only after a last look shows it still postpaid, Running and unused.
 */
export function releaseUnitsJob(
  options: ReleaseUnitsJobOptions,
): Job<ComputeUnit, ReleaseUnitsContext, ReleaseUnitAction> {
  const confirm = options.confirm ?? DEFAULT_CONFIRM;
  return {
    name: RELEASE_UNITS,

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

    plan(inventory: Inventory<ComputeUnit>, context: ReleaseUnitsContext, now: Date) {
      const { decisions, marks } = planUnitReleases(inventory.items, context, now);
      return { decisions, memory: marks };
    },

    async execute(ctx: JobContext, decision: Decision<ReleaseUnitAction>): Promise<ActionResult> {
      const instanceId = decision.action!.instanceId;
      const blocker = await lastLookBeforeRelease(ctx.api, instanceId);
      if (blocker) return { status: "skipped", message: blocker };
      let outcome: Awaited<ReturnType<QianfanApi["releaseComputeUnit"]>>;
      try {
        outcome = await ctx.api.releaseComputeUnit(instanceId);
      } catch (error) {
        return { status: "failed", ...describeFailure(error) };
      }
      return confirmAction(
        outcome,
        async () => {
          const { unit } = await ctx.api.describeComputeUnit(instanceId);
          return { done: RELEASED.has(unit.status), observed: `status ${unit.status}` };
        },
        "release",
        { ...confirm, sleep: options.sleep },
      );
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

/** The last look before a release: anything but postpaid, Running and unused is a reason to stop. */
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
