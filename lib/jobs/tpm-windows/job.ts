import type { InvalidItem, Inventory, Job, JobContext, Planned } from "../../engine/job";
import { describeFailure } from "../../engine/runner";
import type { ActionResult, Decision } from "../../engine/types";
import {
  type CheckedList,
  isListedTpmModel,
  QianfanUnknownOutcomeError,
  TPM_MODELS_LISTED_ON,
  type TpmInstance,
} from "../../qianfan";
import { TPM_WINDOWS } from "../names";
import {
  hasUnnamedItem,
  isSettling,
  listedIds,
  type PendingPurchase,
  planTpmWindows,
  type TpmAction,
  type TpmPurchase,
  type TpmWindow,
  type TpmWindowItem,
  type TpmWindowsContext,
} from "./plan";

export { TPM_WINDOWS };

const PENDING = "tpm-windows:pending";

export interface TpmWindowsJobOptions {
  windows: readonly TpmWindow[];
  timeZone: string;
  calendar: TpmWindowsContext["calendar"];
  maxLivePurchaseCount: number;
  /**
   * How long a purchase whose answer was lost must stay unlisted before it is bought again
   * (default 15 min): listings lag behind purchases.
   */
  purchaseSettleMs?: number;
  guards?: Job<TpmWindowItem, TpmWindowsContext, TpmAction>["guards"];
}

/** Listings lag behind purchases: a lost purchase is bought again only after this long unlisted. */
export const DEFAULT_PURCHASE_SETTLE_MS = 15 * 60_000;

/** Outcomes after which a purchase may or may not exist: never bought again before it settles. */
const UNKNOWN_OUTCOMES = new Set(["UnknownOutcome", "DeadlineReached"]);

/**
 * The tpm-windows job: buys TPM quota for peak windows, with the platform set to release it at the
 * window's end, releases what is still running after the window, and never buys twice.
 */
export function tpmWindowsJob(
  options: TpmWindowsJobOptions,
): Job<TpmWindowItem, TpmWindowsContext, TpmAction> {
  return {
    name: TPM_WINDOWS,
    touches: ["tpm"],
    guards: { maxFleetFraction: 1, ...options.guards },

    async readInventory(ctx: JobContext): Promise<Inventory<TpmWindowItem>> {
      const byModel = new Map<string, CheckedList<TpmInstance>>();
      for (const model of new Set(options.windows.map((w) => w.model))) {
        byModel.set(model, await ctx.api.describeTpmResourcesChecked(model));
      }
      const items = options.windows.map((window) => {
        const listing = byModel.get(window.model)!;
        return { window, instances: listing.items, invalid: listing.invalid };
      });
      // Reported once per model's listing, however many windows share it.
      const invalid: InvalidItem[] = [...byModel].flatMap(([model, listing]) =>
        listing.invalid.map((item) => ({
          ...item,
          problem: `DescribeTPMResource ${model}: ${item.problem}`,
        })),
      );
      const warnings = options.windows.flatMap((window, i) =>
        isListedTpmModel(window.model)
          ? []
          : [
              `window ${window.name} (jobs.tpm-windows.windows.${i}.model): '${window.model}' is not among the models the PurchaseTPMResource docs listed on ${TPM_MODELS_LISTED_ON}; the platform's answer decides`,
            ],
      );
      return { items, invalid, fleetSize: items.length, warnings };
    },

    async loadContext(ctx: JobContext): Promise<TpmWindowsContext> {
      const [purchases, pending] = await Promise.all([
        ctx.memory.getMarks<TpmPurchase>(TPM_WINDOWS),
        ctx.store.list<PendingPurchase>(PENDING),
      ]);
      return {
        timeZone: options.timeZone,
        calendar: options.calendar,
        maxLivePurchaseCount: options.maxLivePurchaseCount,
        purchaseSettleMs: options.purchaseSettleMs ?? DEFAULT_PURCHASE_SETTLE_MS,
        purchases,
        pending: new Map(pending.map((e) => [e.key, e.value])),
      };
    },

    plan(inventory: Inventory<TpmWindowItem>, context: TpmWindowsContext, now: Date) {
      const { decisions, adopted } = planTpmWindows(inventory.items, context, now);
      return { decisions, memory: { context, adopted, inventory } };
    },

    async execute(ctx: JobContext, decision: Decision<TpmAction>): Promise<ActionResult> {
      const action = decision.action!;
      if (action.type === "PurchaseTPMResource") {
        try {
          const outcome = await ctx.api.purchaseTpm({
            model: action.model,
            purchaseCount: action.count,
            releaseTime: action.releaseTime,
          });
          const seen = await lookAt(ctx, action.model, outcome.instanceId);
          const shown =
            seen?.instance?.status ?? (seen?.unreadable ? "bought (its item cannot be read)" : "bought");
          return {
            status: "done",
            createdId: outcome.instanceId,
            requestId: outcome.requestId,
            observed: `${outcome.instanceId} ${shown}${outcome.recoveredByListing ? " (answer lost, found by listing)" : ""}, released by the platform at ${action.releaseTime}`,
          };
        } catch (error) {
          if (error instanceof QianfanUnknownOutcomeError) {
            return {
              status: "failed",
              code: "UnknownOutcome",
              message: error.message,
              requestId: error.requestId,
            };
          }
          return { status: "failed", ...describeFailure(error) };
        }
      }
      const blocker = await lastLook(ctx, action.model, action.instanceId);
      if (blocker) return { status: "skipped", message: blocker };
      try {
        const outcome = await ctx.api.releaseTpm(action.model, action.instanceId);
        const seen = await lookAt(ctx, action.model, action.instanceId);
        return {
          status: "done",
          requestId: outcome.requestId,
          alreadyDone: outcome.alreadyDone,
          observed: seen?.instance
            ? `status ${seen.instance.status}`
            : seen?.unreadable
              ? `its item cannot be read (${seen.unreadable.problem})`
              : (outcome.observed ?? (seen ? "no longer listed" : undefined)),
        };
      } catch (error) {
        return { status: "failed", ...describeFailure(error) };
      }
    },

    async remember(
      ctx: JobContext,
      planned: Planned<TpmAction>,
      results: Map<string, ActionResult>,
    ): Promise<void> {
      if (ctx.dryRun) return;
      const { context, adopted, inventory } = planned.memory as {
        context: TpmWindowsContext;
        adopted: Map<string, TpmPurchase>;
        inventory: Inventory<TpmWindowItem>;
      };
      const listed = new Set(inventory.items.flatMap(listedIds));
      const unnamedIn = new Set(inventory.items.filter(hasUnnamedItem).map((i) => i.window.model));
      // A purchase is forgotten once the platform no longer lists it — but not while a lagging
      // listing may simply not show it yet, nor while an unreadable item without an id may be it.
      const purchases = new Map(
        [...context.purchases].filter(
          ([id, p]) =>
            listed.has(id) ||
            unnamedIn.has(p.model) ||
            isSettling(p.purchasedAt, ctx.now, context.purchaseSettleMs),
        ),
      );
      for (const [window, purchase] of adopted) {
        purchases.set(purchase.instanceId, purchase);
        await ctx.store.delete(PENDING, window);
      }
      for (const decision of planned.decisions) {
        const action = decision.action;
        const result = results.get(decision.resourceId);
        if (!action || !result) continue;
        if (action.type === "PurchaseTPMResource" && result.status === "done" && result.createdId) {
          purchases.set(result.createdId, {
            instanceId: result.createdId,
            window: action.window,
            model: action.model,
            count: action.count,
            purchasedAt: ctx.now.toISOString(),
            releaseTime: action.releaseTime,
          });
          if (context.pending.has(action.window)) await ctx.store.delete(PENDING, action.window);
        }
        if (action.type === "PurchaseTPMResource" && UNKNOWN_OUTCOMES.has(result.code ?? "")) {
          // What was listed before this attempt: whatever appears later and is not among these is it.
          const listedBefore = inventory.items
            .filter((item) => item.window.model === action.model)
            .flatMap(listedIds);
          const pending: PendingPurchase = {
            window: action.window,
            model: action.model,
            count: action.count,
            attemptedAt: ctx.now.toISOString(),
            listedBefore: [...new Set(listedBefore)],
            ...(result.requestId ? { requestId: result.requestId } : {}),
          };
          await ctx.store.put(PENDING, action.window, pending);
        }
        if (action.type === "ReleaseTPMResource" && result.status === "done")
          purchases.delete(action.instanceId);
      }
      // A window that ended resolves its pending purchase: nothing is bought outside it anyway.
      for (const [window] of context.pending) {
        const decision = planned.decisions.find((d) => d.resourceId === `window:${window}`);
        if (decision?.rule === "outside") await ctx.store.delete(PENDING, window);
      }
      await ctx.memory.replaceMarks(TPM_WINDOWS, purchases);
    },
  };
}

/** What the listing shows of one instance: its item, or the item that cannot be read and may be it. */
async function seeOne(
  ctx: JobContext,
  model: string,
  instanceId: string,
): Promise<{ instance?: TpmInstance; unreadable?: InvalidItem }> {
  const listing: CheckedList<TpmInstance> = await ctx.api.describeTpmResourcesChecked(model, { instanceId });
  const instance = listing.items.find((item) => item.instanceId === instanceId);
  if (instance) return { instance };
  return { unreadable: listing.invalid.find((item) => item.id === instanceId || item.id === undefined) };
}

/** {@link seeOne} for a report after an action: undefined when the listing failed. */
async function lookAt(
  ctx: JobContext,
  model: string,
  instanceId: string,
): Promise<{ instance?: TpmInstance; unreadable?: InvalidItem } | undefined> {
  return seeOne(ctx, model, instanceId).catch(() => undefined);
}

/**
 * The last look before a release: only a readable item showing the instance Running and postpaid
 * lets it go; an unreadable item, a status not understood or no item at all is a reason to stop.
 */
async function lastLook(ctx: JobContext, model: string, instanceId: string): Promise<string | undefined> {
  let seen: Awaited<ReturnType<typeof seeOne>>;
  try {
    seen = await seeOne(ctx, model, instanceId);
  } catch (error) {
    return `could not look at the instance before releasing it: ${describeFailure(error).message}`;
  }
  if (seen.unreadable) return `the instance's item cannot be read (${seen.unreadable.problem}); not released`;
  const { instance } = seen;
  if (!instance) return "the instance is no longer listed; nothing to release";
  if (instance.paymentTiming !== "Postpaid") return `the instance now shows ${instance.paymentTiming}`;
  if (instance.status !== "Running") return `the instance now shows status ${instance.status}`;
  return undefined;
}
