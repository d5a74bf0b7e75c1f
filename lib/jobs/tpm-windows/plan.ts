import { TZDate } from "@date-fns/tz";
import { formatISO } from "date-fns";
import type { InvalidItem } from "../../engine/job";
import type { Decision } from "../../engine/types";
import { isPlaceholderTime, parsePlatformTime, type TpmInstance } from "../../qianfan";
import { type Calendar, currentStretchEnd, isActive, type Schedule } from "../../schedule";
import { formatSpan, momentWriter } from "../../text";

/** A peak window: TPM quota of `model` bought while `schedule` is on. */
export interface TpmWindow {
  name: string;
  model: string;
  count: number;
  schedule: Schedule;
}

/** A window with what the platform lists for its model. */
export interface TpmWindowItem {
  window: TpmWindow;
  instances: TpmInstance[];
  /**
   * Items of the model's listing that failed validation. They prove nothing: an instance of ours
   * among them is neither released nor taken for gone, and none is adopted as a lost purchase.
   */
  invalid?: InvalidItem[];
}

/** A purchase this tool made, remembered until the platform no longer lists it. */
export interface TpmPurchase {
  instanceId: string;
  window: string;
  model: string;
  count: number;
  purchasedAt: string;
  releaseTime: string;
}

/**
 * A purchase whose outcome was unknown: it is adopted when a later listing shows it, and bought
 * again only after `purchaseSettleMs` with the listing still proving it absent.
 */
export interface PendingPurchase {
  window: string;
  model: string;
  count: number;
  attemptedAt: string;
  /** The model's instances listed before the attempt: none of them can be this purchase. */
  listedBefore?: string[];
  requestId?: string;
}

export interface TpmWindowsContext {
  timeZone: string;
  calendar: Calendar;
  /** Budget: purchaseCount of our live purchases at once. */
  maxLivePurchaseCount: number;
  /** Listings lag behind purchases: how long one may go unlisted before it counts as absent. */
  purchaseSettleMs: number;
  purchases: ReadonlyMap<string, TpmPurchase>;
  pending: ReadonlyMap<string, PendingPurchase>;
}

export type TpmAction =
  | { type: "PurchaseTPMResource"; window: string; model: string; count: number; releaseTime: string }
  | { type: "ReleaseTPMResource"; window: string; model: string; instanceId: string };

export interface TpmWindowsPlan {
  decisions: Decision<TpmAction>[];
  /** Instances of the listing adopted as the result of a pending purchase, by window. */
  adopted: Map<string, TpmPurchase>;
}

const LIVE = new Set(["Creating", "Running"]);
/** How far ahead a window's end is looked for. */
const END_HORIZON_MS = 62 * 86_400_000;
/** Why an unreadable item with no instanceId may be any instance of its model not otherwise listed. */
const UNNAMED = "the listing has an item without an instanceId that cannot be read, and it may be this one";

/** Every instanceId the item's listing shows, readable or not: none of them is unlisted. */
export function listedIds(item: TpmWindowItem): string[] {
  return [
    ...item.instances.map((x) => x.instanceId),
    ...(item.invalid ?? []).flatMap((x) => (x.id === undefined ? [] : [x.id])),
  ];
}

/** True when the item's listing has an unreadable item without an id: it may be any instance. */
export function hasUnnamedItem(item: TpmWindowItem): boolean {
  return (item.invalid ?? []).some((x) => x.id === undefined);
}

/**
 * True while a purchase made (or attempted) at `since` may still be missing from a lagging listing:
 * less than `settleMs` ago, or at a time that cannot be read (never taken as settled).
 */
export function isSettling(since: string, now: Date, settleMs: number): boolean {
  return !(now.getTime() - Date.parse(since) >= settleMs);
}

/**
 * RFC 3339 with the zone's offset (`yyyy-MM-dd'T'HH:mm:ssXXX`), as PurchaseTPMResource's
 * `billing.releaseTime` accepts.
 */
export function formatReleaseTime(at: Date, timeZone: string): string {
  return formatISO(new TZDate(at.getTime(), timeZone));
}

/**
 * Decides purchases and releases for every TPM window — pure and level-triggered. Inside a window
 * with none of our purchases live, buy `count` with the platform releasing it at the window's end;
 * after the window, release any of ours still Running. A purchase whose outcome was unknown is
 * adopted when the listing shows it, and bought again only once it has stayed unlisted for
 * `purchaseSettleMs` (listings lag); a purchase of ours made that recently counts as live even
 * before it is listed. A budget caps what is live at once.
 */
export function planTpmWindows(
  items: readonly TpmWindowItem[],
  ctx: TpmWindowsContext,
  now: Date,
): TpmWindowsPlan {
  const decisions: Decision<TpmAction>[] = [];
  const adopted = new Map<string, TpmPurchase>();
  const at = momentWriter(now, ctx.timeZone);
  const listedById = new Map(items.flatMap((i) => i.instances.map((x) => [x.instanceId, x] as const)));
  const unreadableById = new Map(
    items.flatMap((i) => (i.invalid ?? []).flatMap((x) => (x.id === undefined ? [] : [[x.id, x] as const]))),
  );
  const modelsWithUnnamed = new Set(items.filter(hasUnnamedItem).map((i) => i.window.model));
  const ours = [...ctx.purchases.values()];
  const settling = (since: string) => isSettling(since, now, ctx.purchaseSettleMs);
  // Ours but unreadable: what its item says, or that it may hide among items without an id.
  const unreadable = (p: TpmPurchase): string | undefined =>
    unreadableById.get(p.instanceId)?.problem ??
    (!listedById.has(p.instanceId) && modelsWithUnnamed.has(p.model) ? UNNAMED : undefined);
  // Ours and live: listed as such, bought so recently that the listing may not show it yet, or
  // unreadable (which proves neither that it is live nor that it is gone: it counts as live).
  const isLive = (p: TpmPurchase) =>
    LIVE.has(listedById.get(p.instanceId)?.status ?? "") ||
    unreadable(p) !== undefined ||
    (!listedById.has(p.instanceId) && settling(p.purchasedAt));
  let liveCount = ours.filter(isLive).reduce((n, p) => n + p.count, 0);
  // Instances adopted in this run: two pending windows never claim the same one.
  const claimed = new Set<string>();

  for (const { window, instances, invalid = [] } of items) {
    const options = { defaultZone: ctx.timeZone, calendar: ctx.calendar };
    const active = isActive(window.schedule, now, options);
    const mine = ours.filter((p) => p.window === window.name);
    const live = mine.filter(isLive);
    const id = `window:${window.name}`;
    const label = `${window.count} × ${window.model}`;
    const keep = (rule: string, reason: string) =>
      decisions.push({ resourceId: id, label, verdict: "keep", rule, reason });

    if (!active) {
      const running = live.filter((p) => listedById.get(p.instanceId)?.status === "Running");
      for (const p of running) {
        decisions.push({
          resourceId: p.instanceId,
          label: `${p.count} × ${p.model} (${window.name})`,
          verdict: "act",
          rule: "window-over",
          reason: `window "${window.schedule.text}" is off but our purchase is still Running (release time ${p.releaseTime})`,
          action: {
            type: "ReleaseTPMResource",
            window: window.name,
            model: p.model,
            instanceId: p.instanceId,
          },
        });
      }
      // Never released while its item cannot be read: its status and payment are not known.
      const unknown = live.filter((p) => unreadable(p) !== undefined);
      for (const p of unknown) {
        decisions.push({
          resourceId: p.instanceId,
          label: `${p.count} × ${p.model} (${window.name})`,
          verdict: "keep",
          rule: "unreadable",
          reason: `window "${window.schedule.text}" is off, but our purchase's item cannot be read (${unreadable(p)}); not released: look at it by hand`,
        });
      }
      if (running.length === 0 && unknown.length === 0)
        keep("outside", `window "${window.schedule.text}" is off; nothing of ours is live`);
      continue;
    }
    if (live.length > 0) {
      const unknown = live.flatMap((p) => {
        const problem = unreadable(p);
        return problem === undefined ? [] : [`${p.instanceId} cannot be read: ${problem}`];
      });
      const unlisted = live
        .filter((p) => !listedById.has(p.instanceId) && unreadable(p) === undefined)
        .map((p) => p.instanceId);
      const notes = [...unknown, ...(unlisted.length > 0 ? [`${unlisted.join(", ")} not listed yet`] : [])];
      const release = live[0]!.releaseTime
        ? `released by the platform at ${live[0]!.releaseTime}`
        : "no release time shown";
      keep(
        "bought",
        `window is on; bought ${live.map((p) => p.instanceId).join(", ")}, ${release}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`,
      );
      continue;
    }
    const pending = ctx.pending.get(window.name);
    let buyAgain = "";
    if (pending) {
      const found = findLostPurchase(
        pending,
        instances,
        invalid,
        new Set([...ours.map((p) => p.instanceId), ...claimed]),
      );
      const attemptedMs = Date.parse(pending.attemptedAt);
      // A remembered time that does not read (a damaged store) counts as settling: never a rebuy.
      const when = Number.isNaN(attemptedMs)
        ? `an unreadable time ('${pending.attemptedAt}')`
        : at(new Date(attemptedMs));
      if (found.adopt) {
        const candidate = found.adopt;
        claimed.add(candidate.instanceId);
        adopted.set(window.name, {
          instanceId: candidate.instanceId,
          window: window.name,
          model: window.model,
          count: pending.count,
          purchasedAt: pending.attemptedAt,
          // A placeholder such as "-" is no release time.
          releaseTime:
            candidate.expiredTime && parsePlatformTime(candidate.expiredTime) ? candidate.expiredTime : "",
        });
        liveCount += pending.count;
        keep("adopted", `the purchase of ${when} whose answer was lost is ${candidate.instanceId}`);
        continue;
      }
      if (found.ambiguous.length > 0) {
        keep(
          "pending",
          `a purchase at ${when} had an unknown outcome; not adopting ${found.ambiguous.join(", ")} (${found.why}), nor buying again`,
        );
        continue;
      }
      if (Number.isNaN(attemptedMs)) {
        keep(
          "pending",
          `a purchase at ${when} had an unknown outcome and is not listed; not buying again while its time cannot be read`,
        );
        continue;
      }
      if (settling(pending.attemptedAt)) {
        const settledAt = new Date(attemptedMs + ctx.purchaseSettleMs);
        keep(
          "pending",
          `a purchase at ${when} had an unknown outcome and is not listed yet; not buying again before ${at(settledAt)} (listings lag)`,
        );
        continue;
      }
      buyAgain = `the purchase of ${when} whose answer was lost is still not listed after ${formatSpan(now.getTime() - attemptedMs)}; `;
    }
    if (liveCount + window.count > ctx.maxLivePurchaseCount) {
      keep(
        "over-budget",
        `buying ${window.count} would make ${liveCount + window.count} live, over maxLivePurchaseCount ${ctx.maxLivePurchaseCount}`,
      );
      continue;
    }
    const end = currentStretchEnd(window.schedule, now, { ...options, horizonMs: END_HORIZON_MS });
    if (!end) {
      keep(
        "no-end",
        `window "${window.schedule.text}" has no end in the next 62 days; not buying without a release time`,
      );
      continue;
    }
    const releaseTime = formatReleaseTime(end, ctx.timeZone);
    liveCount += window.count;
    decisions.push({
      resourceId: id,
      label,
      verdict: "act",
      rule: "window-on",
      reason: `${buyAgain}window "${window.schedule.text}" is on and none of our purchases is live; the platform releases it at ${at(end)}`,
      action: {
        type: "PurchaseTPMResource",
        window: window.name,
        model: window.model,
        count: window.count,
        releaseTime,
      },
    });
  }
  return { decisions, adopted };
}

/**
 * Looks for a pending purchase in the listing: a live postpaid instance that is not ours, was not
 * listed before the attempt, and did not start before it — recognised by its instanceId alone,
 * since no source shows a purchase count in the listing. Exactly one is adopted; more than one, one
 * whose start time is a placeholder, or an unreadable item that may be it, is ambiguous: neither
 * adopted nor bought again, since adopting quota someone else bought would later release it.
 */
function findLostPurchase(
  pending: PendingPurchase,
  instances: readonly TpmInstance[],
  invalid: readonly InvalidItem[],
  taken: ReadonlySet<string>,
): { adopt?: TpmInstance; ambiguous: string[]; why?: string } {
  const before = pending.listedBefore ? new Set(pending.listedBefore) : undefined;
  const attempted = Date.parse(pending.attemptedAt);
  const unreadable = invalid.filter((x) => x.id === undefined || (!taken.has(x.id) && !before?.has(x.id)));
  if (unreadable.length > 0) {
    return {
      ambiguous: unreadable.map((x) => `${x.id ?? `item #${x.index}`} (${x.problem})`),
      why: "an item that cannot be read may be it",
    };
  }
  const fresh = instances.filter(
    (x) =>
      !taken.has(x.instanceId) &&
      !before?.has(x.instanceId) &&
      LIVE.has(x.status) &&
      x.paymentTiming === "Postpaid",
  );
  const undated = fresh.filter((x) => x.startTime !== undefined && isPlaceholderTime(x.startTime));
  if (undated.length > 0) {
    return {
      ambiguous: undated.map((x) => `${x.instanceId} (startTime '${x.startTime}')`),
      why: "its start time is a placeholder, not a time",
    };
  }
  // Without a start time, only the list of what existed before the attempt tells old from new.
  const unknownAge = before ? [] : fresh.filter((x) => x.startTime === undefined);
  if (unknownAge.length > 0) {
    return {
      ambiguous: unknownAge.map((x) => x.instanceId),
      why: "no start time, and what was listed before the attempt was not recorded",
    };
  }
  const candidates = fresh.filter((x) => {
    if (x.startTime === undefined) return true;
    const started = parsePlatformTime(x.startTime);
    return started !== undefined && started.getTime() >= attempted - 60_000;
  });
  if (candidates.length > 1) {
    return {
      ambiguous: candidates.map((x) => x.instanceId),
      why: `${candidates.length} new instances could be it; release what is not ours by hand`,
    };
  }
  return { adopt: candidates[0], ambiguous: [] };
}
