import { describeFailure } from "./failure";
import type { Inventory } from "./job";
import type { ActionResult } from "./types";

export interface ConfirmOptions {
  attempts: number;
  delayMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_CONFIRM: ConfirmOptions = { attempts: 3, delayMs: 1000 };

/** What the platform accepted for one resource, waiting to be confirmed. */
export interface AcceptedAction {
  resourceId: string;
  requestId?: string;
  alreadyDone?: boolean;
}

/** A listing, when it was asked for and when it came back whole (`performance.now()`). */
export interface TimedListing<Item> {
  inventory: Inventory<Item>;
  startedMs: number;
  listedMs: number;
}

/**
 * Confirms actions by what the platform then shows, so the report says what the API showed, not
 * what was hoped ("success with no effect" is a failure). One listing serves every action of a
 * batch: each resource is found in it and `shows` says whether it is in the wanted state; the ones
 * that are not are looked for again in a new listing, `attempts` times in all, `delayMs` apart. A
 * resource whose item cannot be read, or a listing that fails, never confirms anything. `list` is
 * given the resources still to confirm. Returns each action's result and the last listing that
 * came back (fresh for whatever comes next).
 */
export async function confirmByListing<Item, Accepted extends AcceptedAction>(
  accepted: readonly Accepted[],
  list: (resourceIds: readonly string[]) => Promise<Inventory<Item>>,
  idOf: (item: Item) => string,
  shows: (item: Item | undefined, action: Accepted) => { done: boolean; observed: string },
  what: string,
  options: ConfirmOptions = DEFAULT_CONFIRM,
): Promise<{ results: Map<string, ActionResult>; last?: TimedListing<Item> }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const results = new Map<string, ActionResult>();
  const seen = new Map<string, string>();
  let pending = [...accepted];
  let last: TimedListing<Item> | undefined;
  for (let attempt = 1; attempt <= options.attempts && pending.length > 0; attempt += 1) {
    if (attempt > 1) await sleep(options.delayMs);
    const startedMs = performance.now();
    let inventory: Inventory<Item>;
    try {
      inventory = await list(pending.map((action) => action.resourceId));
    } catch (error) {
      for (const action of pending)
        seen.set(action.resourceId, `an error (${describeFailure(error).message})`);
      continue;
    }
    last = { inventory, startedMs, listedMs: performance.now() };
    const items = new Map(inventory.items.map((item) => [idOf(item), item]));
    const unreadable = new Map(inventory.invalid.map((item) => [item.id, item.problem]));
    pending = pending.filter((action) => {
      const problem = unreadable.get(action.resourceId) ?? unreadable.get(undefined);
      const item = items.get(action.resourceId);
      if (!item && problem !== undefined) {
        seen.set(action.resourceId, `an item that cannot be read (${problem})`);
        return true;
      }
      const shown = shows(item, action);
      if (!shown.done) {
        seen.set(action.resourceId, shown.observed);
        return true;
      }
      results.set(action.resourceId, {
        status: "done",
        observed: shown.observed,
        requestId: action.requestId,
        alreadyDone: action.alreadyDone,
      });
      return false;
    });
  }
  for (const action of pending) {
    results.set(action.resourceId, {
      status: "failed",
      code: "NotConfirmed",
      message: `the platform accepted the ${what} but then showed ${seen.get(action.resourceId) ?? "nothing"}`,
      requestId: action.requestId,
    });
  }
  return { results, last };
}
