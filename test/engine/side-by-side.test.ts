import { describe, expect, it } from "vitest";
import type { GuardPolicy } from "../../lib/engine/guards";
import type { AnyJob, Inventory } from "../../lib/engine/job";
import { runJobs } from "../../lib/engine/runner";
import type { QianfanApi } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";

const NOW = new Date("2026-11-23T06:00:00Z");
const guards: GuardPolicy = {
  maxActionsPerRun: 100,
  maxFleetFraction: 1,
  allowEmptyListing: true,
  allowInvalidItems: false,
};
const api = { withCallDefaults: () => api } as unknown as QianfanApi;

/** A job that plans nothing; its listing waits for `listed` and says when it began and ended. */
function job(
  name: string,
  touches: string[] | undefined,
  events: string[],
  listed: () => Promise<void> = async () => {},
): AnyJob {
  return {
    name,
    ...(touches ? { touches } : {}),
    async readInventory(): Promise<Inventory<never>> {
      events.push(`${name} starts`);
      await listed();
      events.push(`${name} ends`);
      return { items: [], invalid: [], fleetSize: 0 };
    },
    loadContext: async () => undefined,
    plan: () => ({ decisions: [] }),
    remember: async () => {},
  };
}

function run(jobs: AnyJob[]) {
  const store = new MemoryStateStore();
  return runJobs({
    jobs,
    api,
    store,
    memory: new JobMemory(store),
    guards,
    now: NOW,
    clock: () => NOW,
    dryRun: false,
    target: "fake",
  });
}

describe("jobs of one run", () => {
  it("run side by side when they touch different resources, after the jobs before them that share one", async () => {
    const events: string[] = [];
    let tasksStarted!: () => void;
    const tasksRunning = new Promise<void>((resolve) => {
      tasksStarted = resolve;
    });
    // The units job's listing ends only once the tasks job has begun: run one after the other, it never would.
    const report = await run([
      job("scale", ["services", "units"], events, () => tasksRunning),
      job("stop", ["tasks"], events, async () => tasksStarted()),
      job("release", ["units"], events),
    ]);
    expect(report.jobs.map((j) => [j.job, j.status])).toEqual([
      ["scale", "ok"],
      ["stop", "ok"],
      ["release", "ok"],
    ]);
    expect(events.indexOf("stop starts")).toBeLessThan(events.indexOf("scale ends"));
    expect(events.indexOf("release starts")).toBeGreaterThan(events.indexOf("scale ends"));
  });

  it("runs a job that does not say what it touches alone, after every job before it", async () => {
    const events: string[] = [];
    await run([
      job("a", ["units"], events),
      job("b", ["tasks"], events),
      job("c", undefined, events),
      job("d", ["tpm"], events),
    ]);
    const at = (event: string) => events.indexOf(event);
    expect(at("c starts")).toBeGreaterThan(Math.max(at("a ends"), at("b ends")));
    expect(at("d starts")).toBeGreaterThan(at("c ends"));
  });
});
