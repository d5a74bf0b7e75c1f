import { applyNotice } from "../../engine/notice";
import type { Decision } from "../../engine/types";
import { type ComputeUnit, eachInTurns, isPlaceholderTime, parsePlatformTime } from "../../qianfan";
import { formatSpan, momentWriter } from "../../text";

/** The release-units settings the planner applies (from `jobs.release-units`). */
export interface ReleaseUnitsPolicy {
  /** Grace for new units: nothing younger is released. */
  minAgeMs: number;
  /** How long a unit must be seen idle before it is released. */
  idleForMs: number;
  /** Postpaid units older than this count as expired. */
  maxAgeMs?: number;
  /** Mark, then act: announce this long before releasing. Undefined: act at once. */
  noticeForMs?: number;
  /** Only units in these regions are considered. */
  regions?: readonly string[];
  /** Price per compute-unit hour by unit type, for the savings total. */
  pricePerUnitHour?: (type: string) => number | undefined;
  /** For the reasons' clock times. */
  timeZone: string;
}

/** What is remembered of one unit between runs. */
export interface UnitMark {
  /** The first run that saw it idle (usedComputeUnits 0), forgotten once it is used. */
  idleSince?: string;
  noticeGivenAt?: string;
  noticeDueAt?: string;
}

export interface ReleaseUnitsContext {
  policy: ReleaseUnitsPolicy;
  marks: ReadonlyMap<string, UnitMark>;
  /** Snoozed units and until when. */
  snoozedUntil: ReadonlyMap<string, string>;
  /** The protection rule that covers a unit, in words, or undefined. */
  protectedBy: (unit: ComputeUnit) => string | undefined;
}

export interface ReleaseUnitAction {
  type: "ReleaseComputeUnit";
  instanceId: string;
}

export interface ReleaseUnitsPlan {
  decisions: Decision<ReleaseUnitAction>[];
  /** The marks of every listed unit after this run; a unit absent here is forgotten. */
  marks: Map<string, UnitMark>;
}

/**
 * Decides, for every listed compute unit, whether to release it — a pure function of the listing,
 * the policy, the remembered marks and `now`. Only a postpaid, Running, unused, unprotected,
 * unsnoozed unit past its grace period can be released, and only when it is expired (its release
 * time passed, or older than maxAge) or has been idle for `idleFor`. A placeholder time is no time:
 * a unit without a real start time is kept, one without a real release time does not expire.
 */
export function planUnitReleases(
  units: readonly ComputeUnit[],
  ctx: ReleaseUnitsContext,
  now: Date,
): ReleaseUnitsPlan {
  const planner = unitPlanner(ctx, now);
  for (const unit of units) planner.decide(unit);
  return planner.plan;
}

/**
 * {@link planUnitReleases} with a turn of the event loop every 1,000 units (`ITEMS_PER_TURN`): the
 * same plan, while the other jobs of a run go on calling the platform.
 */
export async function planUnitReleasesInTurns(
  units: readonly ComputeUnit[],
  ctx: ReleaseUnitsContext,
  now: Date,
): Promise<ReleaseUnitsPlan> {
  const planner = unitPlanner(ctx, now);
  await eachInTurns(units, planner.decide);
  return planner.plan;
}

function unitPlanner(ctx: ReleaseUnitsContext, now: Date) {
  const plan: ReleaseUnitsPlan = { decisions: [], marks: new Map() };
  // Many units share a moment (idle since now, the same auto-release time): the writer writes each once.
  const at = momentWriter(now, ctx.policy.timeZone);
  const decide = (unit: ComputeUnit) => {
    const { decision, mark } = decideUnit(unit, ctx, now, at);
    plan.decisions.push(decision);
    if (mark && Object.keys(mark).length > 0) plan.marks.set(unit.instanceId, mark);
  };
  return { plan, decide };
}

function decideUnit(
  unit: ComputeUnit,
  ctx: ReleaseUnitsContext,
  now: Date,
  at: (date: Date) => string,
): { decision: Decision<ReleaseUnitAction>; mark?: UnitMark } {
  const { policy } = ctx;
  const previous = ctx.marks.get(unit.instanceId) ?? {};
  const label = `${unit.type} ${unit.usedComputeUnits}/${unit.totalComputeUnits} ${unit.paymentTiming} ${unit.region}`;
  const keep = (rule: string, reason: string, mark?: UnitMark) => ({
    decision: { resourceId: unit.instanceId, label, verdict: "keep" as const, rule, reason },
    mark,
  });

  if (unit.status !== "Running") return keep("not-running", `status ${unit.status}`);
  if (unit.paymentTiming !== "Postpaid") return keep("prepaid", "prepaid: never released by this tool");
  if (unit.usedComputeUnits > 0) {
    return keep("busy", `busy: ${unit.usedComputeUnits} of ${unit.totalComputeUnits} compute units in use`);
  }

  // Idle from here on: remember since when, whatever else keeps the unit.
  const rememberedIdle = previous.idleSince ? new Date(previous.idleSince) : undefined;
  const idleSince = rememberedIdle && !Number.isNaN(rememberedIdle.getTime()) ? rememberedIdle : now;
  const idleMark: UnitMark = { idleSince: idleSince.toISOString() };

  if (policy.regions && !policy.regions.includes(unit.region)) {
    return keep("out-of-scope", `region ${unit.region} is not in jobs.release-units.regions`, idleMark);
  }
  const protection = ctx.protectedBy(unit);
  if (protection) return keep("protected", `protected by ${protection}`, idleMark);
  const snoozed = ctx.snoozedUntil.get(unit.instanceId);
  if (snoozed && new Date(snoozed).getTime() > now.getTime()) {
    return keep("snoozed", `snoozed until ${at(new Date(snoozed))}`, idleMark);
  }
  // Without a start time neither minAge nor maxAge can be checked: such a unit is never released.
  if (isPlaceholderTime(unit.startTime)) {
    return keep(
      "age-unknown",
      `startTime '${unit.startTime}' is a placeholder, not a time: its age is unknown, so it is not released`,
      idleMark,
    );
  }
  const started = parsePlatformTime(unit.startTime);
  if (!started) return keep("invalid", `startTime '${unit.startTime}' is not a time`, idleMark);
  const age = now.getTime() - started.getTime();
  if (age < policy.minAgeMs) {
    return keep(
      "too-young",
      `started ${formatSpan(Math.max(0, age))} ago, younger than minAge ${formatSpan(policy.minAgeMs)}`,
      idleMark,
    );
  }

  const reason = whyRelease(unit, policy, now, idleSince, age, at);
  if (!reason.release) return keep(reason.rule, reason.text, idleMark);

  const computeUnits = unit.totalComputeUnits;
  const price = policy.pricePerUnitHour?.(unit.type);
  const act: Decision<ReleaseUnitAction> = {
    resourceId: unit.instanceId,
    label,
    verdict: "act",
    rule: reason.rule,
    reason: reason.text,
    action: { type: "ReleaseComputeUnit", instanceId: unit.instanceId },
    computeUnits,
    savingPerHour: price === undefined ? undefined : Math.round(price * computeUnits * 100) / 100,
  };
  if (policy.noticeForMs === undefined) return { decision: act, mark: idleMark };
  const { decision, notice } = applyNotice(act, previous, policy.noticeForMs, now, at, "released");
  return { decision, mark: { ...idleMark, ...notice } };
}

function whyRelease(
  unit: ComputeUnit,
  policy: ReleaseUnitsPolicy,
  now: Date,
  idleSince: Date,
  age: number,
  at: (date: Date) => string,
): { release: boolean; rule: string; text: string } {
  for (const field of ["releaseTime", "expiredTime"] as const) {
    const value = unit[field];
    if (!value) continue;
    // A placeholder (`-`, `0000-00-00 00:00:00`) means no such time, never one long past.
    const when = parsePlatformTime(value);
    if (when && when.getTime() <= now.getTime()) {
      const what = field === "releaseTime" ? "auto-release time" : "expiry time";
      return {
        release: true,
        rule: "expired",
        text: `${what} ${at(when)} passed ${formatSpan(now.getTime() - when.getTime())} ago and it is still Running`,
      };
    }
  }
  if (policy.maxAgeMs !== undefined && age >= policy.maxAgeMs) {
    return {
      release: true,
      rule: "max-age",
      text: `running for ${formatSpan(age)}, ≥ maxAge ${formatSpan(policy.maxAgeMs)}`,
    };
  }
  const idle = Math.max(0, now.getTime() - idleSince.getTime());
  const text = `idle since ${at(idleSince)}, ${formatSpan(idle)}`;
  if (idle >= policy.idleForMs)
    return { release: true, rule: "idle", text: `${text} ≥ ${formatSpan(policy.idleForMs)}` };
  return { release: false, rule: "idle-too-short", text: `${text} < ${formatSpan(policy.idleForMs)}` };
}
