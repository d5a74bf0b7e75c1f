import pLimit from "p-limit";
import { globMatcher } from "../../config/glob";
import type { InvalidItem, Inventory, Job, JobContext, Planned } from "../../engine/job";
import { describeFailure } from "../../engine/runner";
import type { ActionResult, Decision } from "../../engine/types";
import {
  type CheckedList,
  isPlaceholderTime,
  type QianfanApi,
  replicasOnUnit,
  type ServiceUnit,
} from "../../qianfan";
import type { Schedule } from "../../schedule";
import type { RestoreTarget } from "../../state";
import { plural } from "../../text";
import { SCALE_SERVICES } from "../names";
import {
  planScaling,
  type ScaleAction,
  type ScaleItem,
  type ScaleMark,
  type ScaleServicesContext,
  type ScaleServicesPolicy,
} from "./plan";

export { SCALE_SERVICES };

/** A binding as configured: which service(s), on which unit, on which schedule. */
export interface ScaleBindingConfig {
  serviceId?: string;
  name?: string;
  instanceId: string;
  schedule: Schedule;
  scheduleIsUptime: boolean;
  downReplicas: number;
  upReplicas?: number;
  computeUnitsPerReplica?: number;
}

export interface ScaleServicesJobOptions {
  policy: ScaleServicesPolicy;
  bindings: readonly ScaleBindingConfig[];
  maxConcurrentRestores: number;
  guards?: Job<ScaleItem, ScaleServicesContext, ScaleAction>["guards"];
}

/**
 * The scale-services job: puts services to their scheduled size — down (usually to zero) outside
 * uptime, remembered size back in uptime — with restores staggered and each change re-checked.
 */
export function scaleServicesJob(
  options: ScaleServicesJobOptions,
): Job<ScaleItem, ScaleServicesContext, ScaleAction> {
  const restores = pLimit(options.maxConcurrentRestores);
  /** Compute units per replica measured by this run's scale-downs, by `serviceId/instanceId`. */
  const measured = new Map<string, number>();
  return {
    name: SCALE_SERVICES,
    // Every bound service going down at one schedule edge is the point, not a blast.
    guards: { maxFleetFraction: 1, ...options.guards },

    async readInventory(ctx: JobContext): Promise<Inventory<ScaleItem>> {
      const services = await ctx.api.describeServices();
      // One /v2/serviceresources listing per bound service: the documented source of its replicas.
      const unitsByService = new Map<string, Promise<CheckedList<ServiceUnit>>>();
      const unitsOf = (serviceId: string) => {
        if (!unitsByService.has(serviceId))
          unitsByService.set(serviceId, ctx.api.describeServiceUnits(serviceId));
        return unitsByService.get(serviceId)!;
      };
      const items = new Map<string, ScaleItem>();
      const invalid: InvalidItem[] = [];
      const warnings: string[] = [];
      const byId = new Map<string, (typeof services)[number][]>();
      for (const s of services) byId.set(s.serviceId, [...(byId.get(s.serviceId) ?? []), s]);
      const matchedBy = options.bindings.map((b) => {
        if (b.serviceId !== undefined) return byId.get(b.serviceId) ?? [];
        const isMatch = globMatcher(b.name!);
        return services.filter((s) => isMatch(s.name));
      });
      // Every bound service's units are asked for at once: the client's pacing and concurrency
      // decide how many are in flight. A failure is met where the listing is awaited, below.
      for (const matched of matchedBy) for (const s of matched) unitsOf(s.serviceId).catch(() => {});
      for (const [index, b] of options.bindings.entries()) {
        const matched = matchedBy[index]!;
        if (matched.length === 0) {
          warnings.push(
            `jobs.scale-services.services.${index} (${b.serviceId ?? b.name}) matches no service; nothing to do for it`,
          );
          continue;
        }
        for (const service of matched) {
          const key = `${service.serviceId}/${b.instanceId}`;
          if (items.has(key) || invalid.some((i) => i.id === key)) continue;
          let replicas: number;
          try {
            replicas = replicasOnUnit(await unitsOf(service.serviceId), service.serviceId, b.instanceId);
          } catch (error) {
            // A service whose replicas cannot be read is reported and left alone; the others go on.
            invalid.push({ index, id: key, problem: describeFailure(error).message });
            continue;
          }
          items.set(key, {
            key,
            serviceId: service.serviceId,
            serviceName: service.name,
            instanceId: b.instanceId,
            binding: {
              index,
              schedule: b.schedule,
              scheduleIsUptime: b.scheduleIsUptime,
              downReplicas: b.downReplicas,
              upReplicas: b.upReplicas,
              computeUnitsPerReplica: b.computeUnitsPerReplica,
            },
            currentReplicas: replicas,
            // A placeholder time ("-", "0000-00-00 …") is no time: the next real one counts.
            changedAt: [service.updateTime, service.createTime].find(
              (t) => t !== undefined && !isPlaceholderTime(t),
            ),
          });
        }
      }
      return { items: [...items.values()], invalid, fleetSize: items.size + invalid.length, warnings };
    },

    async loadContext(ctx: JobContext): Promise<ScaleServicesContext> {
      const [targets, marks, snoozedUntil, forcedUpUntil] = await Promise.all([
        ctx.memory.getRestoreTargets(SCALE_SERVICES),
        ctx.memory.getMarks<ScaleMark>(SCALE_SERVICES),
        ctx.memory.untilByResource(ctx.now),
        ctx.memory.untilByResource(ctx.now, "force-up"),
      ]);
      return {
        policy: options.policy,
        restoreTargets: new Map(targets.map((t) => [`${t.serviceId}/${t.instanceId}`, t])),
        marks,
        snoozedUntil,
        forcedUpUntil,
      };
    },

    plan(inventory: Inventory<ScaleItem>, context: ScaleServicesContext, now: Date) {
      return { decisions: planScaling(inventory.items, context, now), memory: context };
    },

    async execute(ctx: JobContext, decision: Decision<ScaleAction>): Promise<ActionResult> {
      const action = decision.action!;
      const run = async () => {
        const { result, computeUnitsPerReplica } = await scaleOnce(ctx.api, action);
        if (computeUnitsPerReplica !== undefined) measured.set(decision.resourceId, computeUnitsPerReplica);
        return result;
      };
      return action.direction === "up" ? restores(run) : run();
    },

    async remember(
      ctx: JobContext,
      planned: Planned<ScaleAction>,
      results: Map<string, ActionResult>,
    ): Promise<void> {
      if (ctx.dryRun) return;
      const context = planned.memory as ScaleServicesContext;
      const marks = new Map(context.marks);
      const put: RestoreTarget[] = [];
      const forget = new Map<string, { serviceId: string; instanceId: string }>();
      for (const decision of planned.decisions) {
        const action = decision.action;
        const done = results.get(decision.resourceId)?.status === "done";
        if (action && done) {
          marks.set(action.serviceId, { lastScaledAt: ctx.now.toISOString() });
          if (action.direction === "down" && action.from > action.to) {
            put.push({
              serviceId: action.serviceId,
              instanceId: action.instanceId,
              replicas: action.from,
              rememberedAt: ctx.now.toISOString(),
              ...(measured.has(decision.resourceId)
                ? { computeUnitsPerReplica: measured.get(decision.resourceId)! }
                : {}),
            });
          } else if (action.direction === "up") {
            const { serviceId, instanceId } = action;
            forget.set(`${serviceId}/${instanceId}`, { serviceId, instanceId });
          }
        }
        if (decision.rule === "up" && context.restoreTargets.has(decision.resourceId)) {
          const [serviceId, instanceId] = decision.resourceId.split("/") as [string, string];
          forget.set(decision.resourceId, { serviceId, instanceId });
        }
      }
      // One batch for all of them: a store that writes a whole file per change would otherwise
      // rewrite it once per scaled service.
      await ctx.memory.changeRestoreTargets(SCALE_SERVICES, put, [...forget.values()]);
      await ctx.memory.replaceMarks(SCALE_SERVICES, marks);
    },
  };
}

/**
 * Re-checks the replicas (and, for a restore, that the unit has room), scales, and reports what the
 * service's units then show. A scale-down also measures the compute units one replica freed.
 */
async function scaleOnce(
  api: QianfanApi,
  action: ScaleAction,
): Promise<{ result: ActionResult; computeUnitsPerReplica?: number }> {
  const skipped = (message: string) => ({ result: { status: "skipped", message } as ActionResult });
  let now: number;
  let usedBefore: number | undefined;
  try {
    now = await api.serviceReplicasOn(action.serviceId, action.instanceId);
  } catch (error) {
    return skipped(
      `could not look at ${action.serviceId} on ${action.instanceId} before scaling: ${describeFailure(error).message}`,
    );
  }
  if (now !== action.from) {
    return skipped(`replicas changed since planning (planned from ${action.from}, now ${now})`);
  }
  try {
    const { unit } = await api.describeComputeUnit(action.instanceId);
    usedBefore = unit.usedComputeUnits;
    if (action.direction === "up") {
      const room = roomFor(action, unit.totalComputeUnits, unit.usedComputeUnits);
      if (room) return { result: { status: "failed", code: "NotEnoughFreeComputeUnits", message: room } };
    }
  } catch (error) {
    if (action.direction === "up") {
      return skipped(
        `could not check the free compute units of ${action.instanceId}: ${describeFailure(error).message}`,
      );
    }
  }
  let requestId: string | undefined;
  let alreadyDone = false;
  try {
    ({ requestId, alreadyDone } = await api.scaleService(action.serviceId, action.instanceId, action.to));
  } catch (error) {
    return { result: { status: "failed", ...describeFailure(error) } };
  }
  let after: number;
  try {
    after = await api.serviceReplicasOn(action.serviceId, action.instanceId);
  } catch (error) {
    return {
      result: {
        status: "failed",
        code: "NotConfirmed",
        message: `scaled, but the service's units could not be looked at: ${describeFailure(error).message}`,
        requestId,
      },
    };
  }
  if (after !== action.to) {
    return {
      result: {
        status: "failed",
        code: "NotConfirmed",
        message: `the platform accepted the scale but shows ${after} replicas`,
        requestId,
      },
    };
  }
  const result: ActionResult = {
    status: "done",
    observed: `${after} replicas on ${action.instanceId}`,
    requestId,
    alreadyDone,
  };
  if (action.direction !== "down" || usedBefore === undefined || alreadyDone) return { result };
  return { result, computeUnitsPerReplica: await measurePerReplica(api, action, usedBefore) };
}

/**
 * Why a restore does not fit on its unit, in words, or undefined when it fits: the unit's free
 * compute units (`totalComputeUnits − usedComputeUnits`) against the replicas to add × compute
 * units per replica (at least one each when the size per replica is not known).
 */
export function roomFor(action: ScaleAction, total: number, used: number): string | undefined {
  const free = Math.max(0, total - used);
  const adding = action.to - action.from;
  const perReplica = action.computeUnitsPerReplica;
  const needed = adding * (perReplica ?? 1);
  if (free >= needed) return undefined;
  const size =
    perReplica === undefined
      ? "at least 1 compute unit each (the size per replica is not known)"
      : `${plural(perReplica, "compute unit")} each`;
  return `not enough free compute units on ${action.instanceId} to restore ${action.serviceId} to ${plural(action.to, "replica")}: ${free} of ${total} free, and ${adding} more ${adding === 1 ? "replica needs" : "replicas need"} ${size}, ${needed} in all`;
}

/** Compute units one replica freed: the unit's usedComputeUnits before and after a scale-down. */
async function measurePerReplica(
  api: QianfanApi,
  action: ScaleAction,
  usedBefore: number,
): Promise<number | undefined> {
  try {
    const { unit } = await api.describeComputeUnit(action.instanceId);
    const freed = usedBefore - unit.usedComputeUnits;
    const removed = action.from - action.to;
    const perReplica = freed / removed;
    return Number.isInteger(perReplica) && perReplica > 0 ? perReplica : undefined;
  } catch {
    return undefined;
  }
}
