import pLimit from "p-limit";
import { globMatcher } from "../../config/glob";
import type { InvalidItem, Inventory, Job, JobContext, Planned } from "../../engine/job";
import { describeFailure } from "../../engine/runner";
import type { ActionResult, Decision } from "../../engine/types";
import {
  type CheckedList,
  type ComputeUnit,
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
 * uptime, remembered size back in uptime. It scales in batches between listings: each scale only
 * when the plan made again on a listing of a few seconds before still makes it (same replicas,
 * unsnoozed, out of grace), each restore only when one unit listing right before the batch shows
 * room for it, and each confirmed by the service's units listed after the batch; the unit listings
 * before and after measure what one replica freed.
 */
export function scaleServicesJob(
  options: ScaleServicesJobOptions,
): Job<ScaleItem, ScaleServicesContext, ScaleAction> {
  const restores = pLimit(options.maxConcurrentRestores);
  /** The items of the last whole listing, by key: what a listing of a few services is built on. */
  const known = new Map<string, ScaleItem>();
  /**
   * The unit's usedComputeUnits right before and after a service's scale, by `serviceId/instanceId`
   * (only where it was the batch's one scale on its unit): what one replica frees is measured from them.
   */
  const usedBefore = new Map<string, number>();
  const usedAfter = new Map<string, number>();
  return {
    name: SCALE_SERVICES,
    // Its restores take compute units: release-units must see them busy, so it runs after this job.
    touches: ["services", "units"],
    // Every bound service going down at one schedule edge is the point, not a blast.
    guards: { maxFleetFraction: 1, ...options.guards },

    async readInventory(ctx: JobContext): Promise<Inventory<ScaleItem>> {
      // One /v2/serviceresources listing per bound service: the documented source of its replicas.
      const unitsByService = new Map<string, Promise<CheckedList<ServiceUnit>>>();
      const unitsOf = (serviceId: string) => {
        if (!unitsByService.has(serviceId))
          unitsByService.set(serviceId, ctx.api.describeServiceUnits(serviceId));
        return unitsByService.get(serviceId)!;
      };
      // A binding by id names its service already: its units are asked for while the services are
      // listed (the listing's pages go first all the same). A failure is met where the listing is
      // awaited, below, or not at all when no listed service has the id.
      for (const b of options.bindings) if (b.serviceId !== undefined) unitsOf(b.serviceId).catch(() => {});
      const services = await ctx.api.describeServices();
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
      known.clear();
      for (const [key, item] of items) known.set(key, item);
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

    listed: {
      what: "scale",
      idOf: (item) => item.key,
      prepare: (ctx, decisions) => checkUnits(ctx.api, decisions, usedBefore),
      send: (ctx, decision) => {
        const { serviceId, instanceId, to, direction } = decision.action!;
        const scale = () => ctx.api.scaleService(serviceId, instanceId, to);
        return direction === "up" ? restores(scale) : scale();
      },
      readAfterOnly: (ctx, ids) => listScaled(ctx.api, ids, known, usedBefore, usedAfter),
      shows: (item, _outcome, decision) =>
        item
          ? {
              done: item.currentReplicas === decision.action!.to,
              observed: `${item.currentReplicas} replicas on ${item.instanceId}`,
            }
          : { done: false, observed: "no listing of the service's units" },
    },

    async remember(
      ctx: JobContext,
      planned: Planned<ScaleAction>,
      results: Map<string, ActionResult>,
    ): Promise<void> {
      if (ctx.dryRun) return;
      const context = planned.memory as ScaleServicesContext;
      const perReplicaOf = (key: string, action: ScaleAction, result: ActionResult) => {
        const before = usedBefore.get(key);
        const after = usedAfter.get(key);
        if (result.alreadyDone || before === undefined || after === undefined) return {};
        const perReplica = (before - after) / (action.from - action.to);
        return Number.isInteger(perReplica) && perReplica > 0 ? { computeUnitsPerReplica: perReplica } : {};
      };
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
              ...perReplicaOf(decision.resourceId, action, results.get(decision.resourceId)!),
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
 * Right before a batch of scales is sent: one unit listing (DescribeComputeUnits) gives each unit's
 * usedComputeUnits, kept in `usedBefore` for a scale-down that is its unit's only scale in the batch
 * (so what one replica frees can be measured), and checks each restore, in order, against its
 * unit's free compute units less what the restores before it in the batch take. A restore whose
 * unit the listing does not show readably is not sent; a scale-down is sent either way.
 */
async function checkUnits(
  api: QianfanApi,
  decisions: readonly Decision<ScaleAction>[],
  usedBefore: Map<string, number>,
): Promise<Map<string, ActionResult>> {
  const refused = new Map<string, ActionResult>();
  if (decisions.length === 0) return refused;
  let units: Map<string, ComputeUnit> | undefined;
  let unreadable = new Map<string | undefined, string>();
  let failure: string | undefined;
  try {
    const listing = await api.describeComputeUnitsChecked();
    units = new Map(listing.items.map((unit) => [unit.instanceId, unit]));
    unreadable = new Map(listing.invalid.map((item) => [item.id, item.problem]));
  } catch (error) {
    failure = describeFailure(error).message;
  }
  const scalesOn = new Map<string, number>();
  for (const d of decisions)
    scalesOn.set(d.action!.instanceId, (scalesOn.get(d.action!.instanceId) ?? 0) + 1);
  const reserved = new Map<string, number>();
  for (const decision of decisions) {
    const action = decision.action!;
    // An item that cannot be read, under this unit's id or under none, may be this unit.
    const problem = unreadable.get(action.instanceId) ?? unreadable.get(undefined);
    const unit = problem === undefined ? units?.get(action.instanceId) : undefined;
    usedBefore.delete(decision.resourceId);
    if (unit && action.direction === "down" && scalesOn.get(action.instanceId) === 1)
      usedBefore.set(decision.resourceId, unit.usedComputeUnits);
    if (action.direction !== "up") continue;
    if (!unit) {
      const why =
        failure ??
        (problem !== undefined
          ? `the unit listing has an item for it that cannot be read (${problem})`
          : "the unit listing does not show it");
      refused.set(decision.resourceId, {
        status: "skipped",
        message: `could not check the free compute units of ${action.instanceId}: ${why}`,
      });
      continue;
    }
    const taken = reserved.get(action.instanceId) ?? 0;
    const room = roomFor(action, unit.totalComputeUnits, unit.usedComputeUnits + taken);
    if (room) {
      refused.set(decision.resourceId, {
        status: "failed",
        code: "NotEnoughFreeComputeUnits",
        message: room,
      });
      continue;
    }
    reserved.set(action.instanceId, taken + (action.to - action.from) * (action.computeUnitsPerReplica ?? 1));
  }
  return refused;
}

/**
 * The listing that confirms a batch of scales: the `/v2/serviceresources` listing of each scaled
 * service (its replicas on the unit now), and, beside it, one unit listing for `usedAfter` where a
 * scale-down's freed compute units are being measured. A service whose units cannot be read gives
 * an invalid item, which confirms nothing.
 */
async function listScaled(
  api: QianfanApi,
  keys: readonly string[],
  known: ReadonlyMap<string, ScaleItem>,
  usedBefore: ReadonlyMap<string, number>,
  usedAfter: Map<string, number>,
): Promise<Inventory<ScaleItem>> {
  const measuring = keys.filter((key) => usedBefore.has(key));
  const unitListing =
    measuring.length > 0 ? api.describeComputeUnitsChecked().catch(() => undefined) : undefined;
  const byService = new Map<string, ScaleItem[]>();
  for (const key of keys) {
    const item = known.get(key);
    if (item) byService.set(item.serviceId, [...(byService.get(item.serviceId) ?? []), item]);
  }
  const items: ScaleItem[] = [];
  const invalid: InvalidItem[] = [];
  await Promise.all(
    [...byService].map(async ([serviceId, scaled]) => {
      let listing: CheckedList<ServiceUnit>;
      try {
        listing = await api.describeServiceUnits(serviceId);
      } catch (error) {
        for (const item of scaled)
          invalid.push({ index: invalid.length, id: item.key, problem: describeFailure(error).message });
        return;
      }
      for (const item of scaled) {
        try {
          items.push({ ...item, currentReplicas: replicasOnUnit(listing, serviceId, item.instanceId) });
        } catch (error) {
          invalid.push({ index: invalid.length, id: item.key, problem: describeFailure(error).message });
        }
      }
    }),
  );
  const units = await unitListing;
  if (units) {
    const used = new Map(units.items.map((unit) => [unit.instanceId, unit.usedComputeUnits]));
    const unreadable = units.invalid.length > 0;
    for (const key of measuring) {
      const instanceId = known.get(key)?.instanceId;
      const after = unreadable || instanceId === undefined ? undefined : used.get(instanceId);
      if (after === undefined) usedAfter.delete(key);
      else usedAfter.set(key, after);
    }
  }
  return { items, invalid, fleetSize: items.length + invalid.length };
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
