import pLimit from "p-limit";
import type { ActionOutcome } from "../qianfan";
import { type AcceptedAction, confirmByListing, DEFAULT_CONFIRM, type TimedListing } from "./confirm";
import { describeFailure } from "./failure";
import type { Inventory, Job, JobContext, ListedActions } from "./job";
import type { ActionResult, Decision } from "./types";

/**
 * Actions sent between one listing and the next, at most. Freshness is what ends a batch at the
 * platform's rate (an action whose turn comes after {@link LISTING_FRESH_MS} waits for the next
 * listing); this only bounds what one confirmation listing has to find.
 */
export const MAX_BATCH = 1000;
/**
 * No action is sent on a listing that came back longer ago than this. It counts from the listing's
 * last answer, not its first request: a listing of a large fleet takes longer than this to page
 * through, and one counted from its start could never be acted on.
 */
export const LISTING_FRESH_MS = 5000;

/** The listing a plan was made on, handed over once: the batches take it out of the holder. */
export interface PlannedListing<Item = unknown> {
  listing?: TimedListing<Item>;
}

export interface BatchOptions<Item, A> {
  job: Job<Item, unknown, A> & { listed: ListedActions<Item, A> };
  ctx: JobContext;
  /** The `act` decisions, in order. */
  decisions: readonly Decision<A>[];
  /**
   * The listing the decisions were planned on: the first batch's last look while it is fresh (the
   * plan made again on it with the context loaded again), so a fresh listing is not asked for twice.
   */
  planned?: PlannedListing<Item>;
  concurrency: number;
  maxBatch?: number;
  freshMs?: number;
  /** Why no new action may start now (the deadline is near), or undefined. */
  mustNotStart: () => string | undefined;
  /** Sends one action, cut off at the run's deadline. */
  bounded: (send: Promise<ActionOutcome>) => Promise<ActionOutcome | ActionResult>;
  /** Called with each action's final result, as it is known. */
  onResult: (decision: Decision<A>, result: ActionResult) => Promise<void>;
}

/**
 * Acts on `decisions` in batches of at most `maxBatch`: each batch is checked against a listing
 * whose last answer came no longer than `freshMs` before its actions are sent (the job's plan made
 * again on it — {@link lastLookFromListing}), sent one call each, and confirmed by the listing made
 * right after it ({@link confirmByListing}), which is the next batch's last look. An action whose
 * turn comes when the listing is older than `freshMs` waits for the next batch's listing.
 */
export async function actInBatches<Item, A>(options: BatchOptions<Item, A>): Promise<void> {
  const { job, ctx } = options;
  const listed = job.listed;
  const maxBatch = Math.max(1, options.maxBatch ?? MAX_BATCH);
  const freshMs = options.freshMs ?? LISTING_FRESH_MS;
  const limit = pLimit(Math.max(1, options.concurrency));
  const age = (listing: TimedListing<Item>) => performance.now() - listing.listedMs;
  const listBefore = async (): Promise<TimedListing<Item>> => {
    const startedMs = performance.now();
    const inventory = await job.readInventory(ctx);
    return { inventory, startedMs, listedMs: performance.now() };
  };
  const listAfter = (ids: readonly string[]) =>
    listed.readAfterOnly
      ? listed.readAfterOnly(ctx, ids)
      : listed.readAfter
        ? listed.readAfter(ctx)
        : job.readInventory(ctx);
  const queue = [...options.decisions];
  // The plan's own listing is the first last look while it is fresh; the first batch lists again otherwise.
  let listing: TimedListing<Item> | undefined = options.planned?.listing;
  if (options.planned) options.planned.listing = undefined;
  while (queue.length > 0) {
    const stop = options.mustNotStart();
    if (stop) {
      for (const decision of queue.splice(0))
        await options.onResult(decision, { status: "deferred", message: stop });
      break;
    }
    const batch = queue.splice(0, maxBatch);
    let blockers: Map<string, string | undefined>;
    let listedNow = false;
    try {
      if (!listing || age(listing) > freshMs) {
        listing = await listBefore();
        listedNow = true;
      }
      blockers = await lastLookFromListing(job, ctx, listing.inventory, batch);
    } catch (error) {
      const message = `could not list the resources again before acting: ${describeFailure(error).message}`;
      for (const decision of batch) await options.onResult(decision, { status: "skipped", message });
      listing = undefined;
      continue;
    }
    let prepared: Map<string, ActionResult>;
    try {
      prepared = listed.prepare
        ? await listed.prepare(
            ctx,
            batch.filter((d) => !blockers.get(d.resourceId)),
          )
        : new Map();
    } catch (error) {
      const message = `could not check before acting: ${describeFailure(error).message}`;
      for (const decision of batch) await options.onResult(decision, { status: "skipped", message });
      continue;
    }
    // Only the listing's time is kept through the batch's actions, not the listing itself.
    const listedAt = listing.listedMs;
    const tooOld = () => performance.now() - listedAt > freshMs;
    if (tooOld() && !listedNow) {
      // A listing kept from before went stale during the last look: list again for this batch.
      queue.unshift(...batch);
      listing = undefined;
      continue;
    }
    if (tooOld()) {
      // Making the plan again on it took longer than a listing stays fresh: none could be acted on.
      const message = `the last look took longer than ${Math.round(freshMs / 1000)} s after its listing, too old to act on`;
      for (const decision of batch) await options.onResult(decision, { status: "skipped", message });
      listing = undefined;
      continue;
    }
    const accepted: Array<AcceptedAction & { decision: Decision<A>; outcome: ActionOutcome }> = [];
    const later: Decision<A>[] = [];
    await Promise.all(
      batch.map((decision) =>
        limit(async () => {
          const blocker = blockers.get(decision.resourceId);
          if (blocker) return options.onResult(decision, { status: "skipped", message: blocker });
          const refused = prepared.get(decision.resourceId);
          if (refused) return options.onResult(decision, refused);
          if (tooOld()) return void later.push(decision);
          const stopNow = options.mustNotStart();
          if (stopNow) return options.onResult(decision, { status: "deferred", message: stopNow });
          let sent: ActionOutcome | ActionResult;
          try {
            sent = await options.bounded(listed.send(ctx, decision));
          } catch (error) {
            return options.onResult(decision, { status: "failed", ...describeFailure(error) });
          }
          if ("status" in sent) return options.onResult(decision, sent);
          accepted.push({ resourceId: decision.resourceId, ...sent, decision, outcome: sent });
        }),
      ),
    );
    // Those whose turn came too late go first in the next batch, in their order.
    const order = new Map(batch.map((d, i) => [d.resourceId, i]));
    later.sort((a, b) => order.get(a.resourceId)! - order.get(b.resourceId)!);
    queue.unshift(...later);
    if (accepted.length === 0) continue;
    // The listing acted on is done with: not kept beside the one that confirms the batch.
    listing = undefined;
    const confirmed = await confirmByListing(
      accepted,
      listAfter,
      listed.idOf,
      (item, action) => listed.shows(item, action.outcome, action.decision),
      listed.what,
      listed.confirm ?? DEFAULT_CONFIRM,
    );
    // A listing of the batch's resources alone is no last look for the next batch.
    listing = listed.readAfterOnly ? undefined : confirmed.last;
    for (const action of accepted)
      await options.onResult(action.decision, confirmed.results.get(action.resourceId)!);
  }
}

/**
 * The last look before acting, from a listing: the job's plan made again on `inventory` with its
 * context loaded again (a snooze set meanwhile counts). A decision passes only when the new plan
 * still acts on the resource with the same action; otherwise the reason not to act, in words. A
 * resource missing from the listing, or possibly behind an item that cannot be read, is not acted on.
 */
export async function lastLookFromListing<Item, A>(
  job: Job<Item, unknown, A>,
  ctx: JobContext,
  inventory: Inventory<Item>,
  decisions: readonly Decision<A>[],
): Promise<Map<string, string | undefined>> {
  const context = await job.loadContext(ctx, inventory);
  const fresh = new Map(
    (await job.plan(inventory, context, ctx.now)).decisions.map((d) => [d.resourceId, d]),
  );
  const unreadable = new Map(inventory.invalid.map((item) => [item.id, item.problem]));
  const blockers = new Map<string, string | undefined>();
  for (const decision of decisions) {
    const now = fresh.get(decision.resourceId);
    const problem = unreadable.get(decision.resourceId) ?? unreadable.get(undefined);
    let blocker: string | undefined;
    if (!now) {
      blocker =
        problem !== undefined
          ? `the listing just before acting has an item for it that cannot be read (${problem})`
          : "the listing just before acting no longer shows it";
    } else if (now.verdict !== "act" || JSON.stringify(now.action) !== JSON.stringify(decision.action)) {
      blocker = `the listing just before acting shows it no longer qualifies: ${now.reason}`;
    }
    blockers.set(decision.resourceId, blocker);
  }
  return blockers;
}
