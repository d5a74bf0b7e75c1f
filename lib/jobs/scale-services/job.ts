import pLimit from "p-limit";
import picomatch from "picomatch";
import type { Inventory, Job, JobContext, Planned } from "../../engine/job";
import { describeFailure } from "../../engine/runner";
import type { ActionResult, Decision } from "../../engine/types";
import { isPlaceholderTime, isQianfanApiError, type QianfanApi, type ServiceUsage } from "../../qianfan";
import type { Schedule } from "../../schedule";
import type { RestoreTarget } from "../../state";
import {
  planScaling,
  type ScaleAction,
  type ScaleItem,
  type ScaleMark,
  type ScaleServicesContext,
  type ScaleServicesPolicy,
} from "./plan";

export const SCALE_SERVICES = "scale-services";

/** A binding as configured: which service(s), on which unit, on which schedule. */
export interface ScaleBindingConfig {
  serviceId?: string;
  name?: string;
  instanceId: string;
  schedule: Schedule;
  scheduleIsUptime: boolean;
  downReplicas: number;
  upReplicas?: number;
}

export interface ScaleServicesJobOptions {
  policy: ScaleServicesPolicy;
  bindings: readonly ScaleBindingConfig[];
  maxConcurrentRestores: number;
  guards?: Job<ScaleItem, ScaleServicesContext, ScaleAction>["guards"];
}

/**
 * The replicas a service runs on a compute unit: its entry in DescribeComputeUnit's
 * `serviceUsageList` (`deploymentReplicasCount`), 0 when it has none. The one place this number
 * comes from; the emulator models it the same way (`EmulatorState.replicasOn`).
 */
export function currentReplicas(serviceUsage: readonly ServiceUsage[], serviceId: string): number {
  return serviceUsage.find((u) => u.serviceId === serviceId)?.deploymentReplicasCount ?? 0;
}

/**
 * The scale-services job: puts services to their scheduled size — down (usually to zero) outside
 * uptime, remembered size back in uptime — with restores staggered and each change re-checked.
 */
export function scaleServicesJob(
  options: ScaleServicesJobOptions,
): Job<ScaleItem, ScaleServicesContext, ScaleAction> {
  const restores = pLimit(options.maxConcurrentRestores);
  return {
    name: SCALE_SERVICES,
    // Every bound service going down at one schedule edge is the point, not a blast.
    guards: { maxFleetFraction: 1, ...options.guards },

    async readInventory(ctx: JobContext): Promise<Inventory<ScaleItem>> {
      const services = await ctx.api.describeServices();
      const usage = new Map<string, ServiceUsage[]>();
      const items = new Map<string, ScaleItem>();
      const warnings: string[] = [];
      for (const [index, b] of options.bindings.entries()) {
        const matched = services.filter((s) =>
          b.serviceId !== undefined
            ? s.serviceId === b.serviceId
            : picomatch.isMatch(s.name, b.name!, { dot: true }),
        );
        if (matched.length === 0) {
          warnings.push(
            `jobs.scale-services.services.${index} (${b.serviceId ?? b.name}) matches no service; nothing to do for it`,
          );
          continue;
        }
        if (!usage.has(b.instanceId))
          usage.set(b.instanceId, (await ctx.api.describeComputeUnit(b.instanceId)).serviceUsage);
        for (const service of matched) {
          const key = `${service.serviceId}/${b.instanceId}`;
          if (items.has(key)) continue;
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
            },
            currentReplicas: currentReplicas(usage.get(b.instanceId)!, service.serviceId),
            // A placeholder time ("-", "0000-00-00 …") is no time: the next real one counts.
            changedAt: [service.updateTime, service.createTime].find(
              (t) => t !== undefined && !isPlaceholderTime(t),
            ),
          });
        }
      }
      return { items: [...items.values()], invalid: [], fleetSize: items.size, warnings };
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
      const run = () => scaleOnce(ctx.api, action);
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
      for (const decision of planned.decisions) {
        const action = decision.action;
        const done = results.get(decision.resourceId)?.status === "done";
        if (action && done) {
          marks.set(action.serviceId, { lastScaledAt: ctx.now.toISOString() });
          if (action.direction === "down" && action.from > action.to) {
            const target: RestoreTarget = {
              serviceId: action.serviceId,
              instanceId: action.instanceId,
              replicas: action.from,
              rememberedAt: ctx.now.toISOString(),
            };
            await ctx.memory.putRestoreTarget(SCALE_SERVICES, target);
          }
          if (action.direction === "up")
            await ctx.memory.deleteRestoreTarget(SCALE_SERVICES, action.serviceId, action.instanceId);
        }
        if (decision.rule === "up" && context.restoreTargets.has(decision.resourceId)) {
          const [serviceId, instanceId] = decision.resourceId.split("/") as [string, string];
          await ctx.memory.deleteRestoreTarget(SCALE_SERVICES, serviceId, instanceId);
        }
      }
      await ctx.memory.replaceMarks(SCALE_SERVICES, marks);
    },
  };
}

/** Re-checks the replicas, scales, and reports what the unit then shows. */
async function scaleOnce(api: QianfanApi, action: ScaleAction): Promise<ActionResult> {
  let now: number;
  try {
    now = currentReplicas((await api.describeComputeUnit(action.instanceId)).serviceUsage, action.serviceId);
  } catch (error) {
    return {
      status: "skipped",
      message: `could not look at ${action.instanceId} before scaling: ${describeFailure(error).message}`,
    };
  }
  if (now !== action.from) {
    return {
      status: "skipped",
      message: `replicas changed since planning (planned from ${action.from}, now ${now})`,
    };
  }
  let requestId: string | undefined;
  let alreadyDone = false;
  try {
    ({ requestId, alreadyDone } = await api.scaleService(action.serviceId, action.instanceId, action.to));
  } catch (error) {
    const failure = describeFailure(error);
    if (isQianfanApiError(error) && error.code === "InsufficientComputeUnits") {
      return {
        status: "failed",
        ...failure,
        message: `not enough free compute units on ${action.instanceId} to restore ${action.to} replicas: ${error.platformMessage}`,
      };
    }
    return { status: "failed", ...failure };
  }
  try {
    const after = currentReplicas(
      (await api.describeComputeUnit(action.instanceId)).serviceUsage,
      action.serviceId,
    );
    if (after === action.to)
      return {
        status: "done",
        observed: `${after} replicas on ${action.instanceId}`,
        requestId,
        alreadyDone,
      };
    return {
      status: "failed",
      code: "NotConfirmed",
      message: `the platform accepted the scale but shows ${after} replicas`,
      requestId,
    };
  } catch (error) {
    return {
      status: "failed",
      code: "NotConfirmed",
      message: `scaled, but the unit could not be looked at: ${describeFailure(error).message}`,
      requestId,
    };
  }
}
