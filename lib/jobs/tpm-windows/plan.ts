import { TZDate } from "@date-fns/tz";
import { format } from "date-fns";
import type { Decision } from "../../engine/types";
import type { TpmInstance } from "../../qianfan";
import { type Calendar, currentStretchEnd, isActive, type Schedule } from "../../schedule";
import { formatMoment } from "../../text";

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

/** A purchase whose outcome was unknown: nothing is bought for the window until it is resolved. */
export interface PendingPurchase {
  window: string;
  model: string;
  count: number;
  attemptedAt: string;
}

export interface TpmWindowsContext {
  timeZone: string;
  calendar: Calendar;
  /** Budget: purchaseCount of our live purchases at once. */
  maxLivePurchaseCount: number;
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

/** RFC 3339 with the zone's offset, as PurchaseTPMResource's `billing.releaseTime` accepts. */
export function formatReleaseTime(at: Date, timeZone: string): string {
  return format(new TZDate(at.getTime(), timeZone), "yyyy-MM-dd'T'HH:mm:ssXXX");
}

/**
 * Decides purchases and releases for every TPM window — pure and level-triggered. Inside a window
 * with none of our purchases live, buy `count` with the platform releasing it at the window's end;
 * after the window, release any of ours still Running. A purchase whose outcome was unknown blocks
 * buying again until the listing shows it (then it is adopted); a budget caps what is live at once.
 */
export function planTpmWindows(
  items: readonly TpmWindowItem[],
  ctx: TpmWindowsContext,
  now: Date,
): TpmWindowsPlan {
  const decisions: Decision<TpmAction>[] = [];
  const adopted = new Map<string, TpmPurchase>();
  const at = (d: Date) => formatMoment(d, now, ctx.timeZone);
  const listedById = new Map(items.flatMap((i) => i.instances.map((x) => [x.instanceId, x] as const)));
  const ours = [...ctx.purchases.values()];
  let liveCount = ours
    .filter((p) => LIVE.has(listedById.get(p.instanceId)?.status ?? ""))
    .reduce((n, p) => n + p.count, 0);

  for (const { window, instances } of items) {
    const options = { defaultZone: ctx.timeZone, calendar: ctx.calendar };
    const active = isActive(window.schedule, now, options);
    const mine = ours.filter((p) => p.window === window.name);
    const live = mine.filter((p) => LIVE.has(listedById.get(p.instanceId)?.status ?? ""));
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
      if (running.length === 0)
        keep("outside", `window "${window.schedule.text}" is off; nothing of ours is live`);
      continue;
    }
    if (live.length > 0) {
      keep(
        "bought",
        `window is on; bought ${live.map((p) => p.instanceId).join(", ")}, released by the platform at ${live[0]!.releaseTime}`,
      );
      continue;
    }
    const pending = ctx.pending.get(window.name);
    if (pending) {
      const known = new Set(ours.map((p) => p.instanceId));
      const attempted = Date.parse(pending.attemptedAt);
      const candidate = instances.find(
        (x) =>
          !known.has(x.instanceId) &&
          LIVE.has(x.status) &&
          (!x.startTime || Date.parse(x.startTime) >= attempted - 60_000),
      );
      if (candidate) {
        adopted.set(window.name, {
          instanceId: candidate.instanceId,
          window: window.name,
          model: window.model,
          count: pending.count,
          purchasedAt: pending.attemptedAt,
          releaseTime: candidate.expiredTime ?? "",
        });
        liveCount += pending.count;
        keep(
          "adopted",
          `the purchase of ${at(new Date(pending.attemptedAt))} whose answer was lost is ${candidate.instanceId}`,
        );
      } else {
        keep(
          "pending",
          `a purchase at ${at(new Date(pending.attemptedAt))} had an unknown outcome and is not listed; not buying again until it is resolved`,
        );
      }
      continue;
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
      reason: `window "${window.schedule.text}" is on and none of our purchases is live; the platform releases it at ${at(end)}`,
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
