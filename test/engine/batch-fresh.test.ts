import { describe, expect, it } from "vitest";
import { actInBatches } from "../../lib/engine/batch";
import type { Inventory, Job, JobContext, ListedActions } from "../../lib/engine/job";
import type { ActionResult, Decision } from "../../lib/engine/types";

type Item = { id: string; state: "up" | "gone" };
type Act = { type: "Release" };

/**
 * A fleet whose every listing takes `listMs`, longer than a listing stays fresh: a large fleet
 * paged through at the platform's rate.
 */
function slowFleet(ids: string[], listMs: number) {
  const state = new Map(ids.map((id) => [id, "up" as Item["state"]]));
  const sent: string[] = [];
  const inventory = async (): Promise<Inventory<Item>> => {
    await new Promise((resolve) => setTimeout(resolve, listMs));
    const items = [...state].map(([id, s]) => ({ id, state: s }));
    return { items, invalid: [], fleetSize: items.length };
  };
  const plan = (inv: Inventory<Item>) => ({
    decisions: inv.items
      .filter((item) => item.state === "up")
      .map(
        (item): Decision<Act> => ({
          resourceId: item.id,
          verdict: "act",
          rule: "idle",
          reason: "idle",
          action: { type: "Release" },
        }),
      ),
  });
  const listed: ListedActions<Item, Act> = {
    idOf: (item) => item.id,
    send: async (_ctx, decision) => {
      sent.push(decision.resourceId);
      state.set(decision.resourceId, "gone");
      return { requestId: `req-${decision.resourceId}`, alreadyDone: false };
    },
    shows: (item) => ({
      done: item?.state === "gone",
      observed: item ? `state ${item.state}` : "not listed",
    }),
    what: "release",
    confirm: { attempts: 1, delayMs: 0 },
  };
  const job: Job<Item, undefined, Act> & { listed: ListedActions<Item, Act> } = {
    name: "fake",
    readInventory: inventory,
    loadContext: async () => undefined,
    plan,
    remember: async () => {},
    listed,
  };
  return { job, sent, inventory, plan };
}

describe("actInBatches", () => {
  it("acts on a listing that took longer than a listing stays fresh, counting its age from its last answer", async () => {
    const fleet = slowFleet(["u1", "u2", "u3"], 60);
    const decisions = fleet.plan(await fleet.inventory()).decisions;
    const results = new Map<string, ActionResult>();

    await actInBatches({
      job: fleet.job,
      ctx: { now: new Date(0) } as unknown as JobContext,
      decisions,
      concurrency: 2,
      freshMs: 30,
      mustNotStart: () => undefined,
      bounded: (send) => send,
      onResult: async (decision, result) => void results.set(decision.resourceId, result),
    });

    expect(fleet.sent.sort()).toEqual(["u1", "u2", "u3"]);
    expect([...results.values()].map((r) => r.status)).toEqual(["done", "done", "done"]);
  });
});
