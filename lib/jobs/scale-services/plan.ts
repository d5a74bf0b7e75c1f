import type { Decision } from "../../engine/types";
import { parsePlatformTime } from "../../qianfan";
import { type Calendar, isActive, type Schedule } from "../../schedule";
import type { RestoreTarget } from "../../state";
import { formatSpan, momentWriter, plural } from "../../text";

/** One configured binding of a service on a compute unit to a schedule. */
export interface ScaleBinding {
  /** Position in the config: the restore order. */
  index: number;
  schedule: Schedule;
  /** True: the schedule says when to be up; false: when to be down. */
  scheduleIsUptime: boolean;
  downReplicas: number;
  upReplicas?: number;
  /** Compute units one replica takes, as configured (used when none was measured). */
  computeUnitsPerReplica?: number;
}

/** A service on a unit as the inventory found it. */
export interface ScaleItem {
  /** `serviceId/instanceId`. */
  key: string;
  serviceId: string;
  serviceName: string;
  instanceId: string;
  binding: ScaleBinding;
  /** Replicas of the service on the unit now (its `/v2/serviceresources` listing). */
  currentReplicas: number;
  /** When the service was last deployed or changed, by anyone. */
  changedAt?: string;
}

export interface ScaleServicesPolicy {
  graceMs: number;
  timeZone: string;
  calendar: Calendar;
}

/** What the job remembers per service between runs, beside restore targets. */
export interface ScaleMark {
  /** When this tool last scaled the service, so its own change does not start a grace period. */
  lastScaledAt?: string;
}

export interface ScaleServicesContext {
  policy: ScaleServicesPolicy;
  restoreTargets: ReadonlyMap<string, RestoreTarget>;
  marks: ReadonlyMap<string, ScaleMark>;
  /** Snoozed services (by serviceId) and until when. */
  snoozedUntil: ReadonlyMap<string, string>;
  /** "Force up until T" overrides by serviceId. */
  forcedUpUntil: ReadonlyMap<string, string>;
}

export interface ScaleAction {
  type: "ScaleService";
  serviceId: string;
  instanceId: string;
  from: number;
  to: number;
  direction: "down" | "up";
  /**
   * For a scale-up: compute units one replica takes, as configured or else as measured when it
   * was scaled down; undefined when neither is known.
   */
  computeUnitsPerReplica?: number;
}

/**
 * Decides, for every service bound to a schedule, the replica count it should have now — a pure,
 * level-triggered function: a missed run heals at the next one. Outside uptime the service goes to
 * `downReplicas` and its size is remembered (only when it was above that: a 2→2 "scale-down" never
 * overwrites what was remembered); in uptime the remembered size (or `upReplicas`) comes back.
 * Scale-ups are listed in config order, the order restores run in.
 */
export function planScaling(
  items: readonly ScaleItem[],
  ctx: ScaleServicesContext,
  now: Date,
): Decision<ScaleAction>[] {
  const at = momentWriter(now, ctx.policy.timeZone);
  const decisions = items.map((item) => decide(item, ctx, now, at));
  const order = (d: Decision<ScaleAction>) => (d.action?.direction === "up" ? 0 : 1);
  return decisions
    .map((d, i) => ({ d, i }))
    .sort(
      (a, b) => order(a.d) - order(b.d) || items[a.i]!.binding.index - items[b.i]!.binding.index || a.i - b.i,
    )
    .map(({ d }) => d);
}

function decide(
  item: ScaleItem,
  ctx: ScaleServicesContext,
  now: Date,
  at: (d: Date) => string,
): Decision<ScaleAction> {
  const label = `${item.serviceName} on ${item.instanceId}`;
  const keep = (rule: string, reason: string): Decision<ScaleAction> => ({
    resourceId: item.key,
    label,
    verdict: "keep",
    rule,
    reason,
  });
  // A configured size is the user's word; a measured one (at scale-down) may have been skewed by
  // another change on the unit at the same moment.
  const perReplica =
    item.binding.computeUnitsPerReplica ?? ctx.restoreTargets.get(item.key)?.computeUnitsPerReplica;
  const scale = (direction: "down" | "up", to: number, reason: string): Decision<ScaleAction> => ({
    resourceId: item.key,
    label,
    verdict: "act",
    rule: direction === "down" ? "scale-down" : "scale-up",
    reason,
    action: {
      type: "ScaleService",
      serviceId: item.serviceId,
      instanceId: item.instanceId,
      from: item.currentReplicas,
      to,
      direction,
      ...(direction === "up" && perReplica !== undefined ? { computeUnitsPerReplica: perReplica } : {}),
    },
  });

  const snooze = ctx.snoozedUntil.get(item.serviceId);
  if (snooze && Date.parse(snooze) > now.getTime())
    return keep("snoozed", `snoozed until ${at(new Date(snooze))}`);

  const changed = item.changedAt ? parsePlatformTime(item.changedAt) : undefined;
  const ours = ctx.marks.get(item.serviceId)?.lastScaledAt;
  const changedByUs = changed && ours && Math.abs(changed.getTime() - Date.parse(ours)) < 120_000;
  if (changed && !changedByUs) {
    const age = now.getTime() - changed.getTime();
    if (age >= 0 && age < ctx.policy.graceMs) {
      return keep(
        "grace",
        `deployed or changed ${formatSpan(age)} ago, within the grace of ${formatSpan(ctx.policy.graceMs)}`,
      );
    }
  }

  const forced = ctx.forcedUpUntil.get(item.serviceId);
  const forcedUp = forced !== undefined && Date.parse(forced) > now.getTime();
  const scheduled = isActive(item.binding.schedule, now, {
    defaultZone: ctx.policy.timeZone,
    calendar: ctx.policy.calendar,
  });
  const wantUp = forcedUp || (item.binding.scheduleIsUptime ? scheduled : !scheduled);
  const why = forcedUp
    ? `forced up until ${at(new Date(forced!))}`
    : `${item.binding.scheduleIsUptime ? "uptime" : "downtime"} "${item.binding.schedule.text}" is ${scheduled ? "on" : "off"}`;

  if (!wantUp) {
    const target = item.binding.downReplicas;
    if (item.currentReplicas > target) {
      // The grace period protects a service just deployed or changed; with no readable time (the
      // platform gave none, or only placeholders) it cannot be shown to have passed.
      if (!item.changedAt) {
        return keep(
          "grace-unknown",
          `${why}, but the service shows no readable update or create time, so its grace of ${formatSpan(ctx.policy.graceMs)} cannot be checked: not scaling down`,
        );
      }
      return scale(
        "down",
        target,
        `${why}: ${item.currentReplicas} → ${target} replicas (remembering ${item.currentReplicas})`,
      );
    }
    return keep("down", `${why}: already at ${plural(item.currentReplicas, "replica")}`);
  }
  const remembered = ctx.restoreTargets.get(item.key);
  const target = remembered?.replicas ?? item.binding.upReplicas;
  if (target === undefined) {
    return keep(
      "no-target",
      `${why}: no remembered size and no upReplicas, so left at ${item.currentReplicas}`,
    );
  }
  if (item.currentReplicas < target) {
    const source = remembered ? "the remembered size" : "upReplicas";
    return scale("up", target, `${why}: ${item.currentReplicas} → ${target} replicas (${source})`);
  }
  return keep("up", `${why}: ${plural(item.currentReplicas, "replica")}, at or above ${target}`);
}
