import { afterEach, describe, expect, it } from "vitest";
import { scaleServices } from "../../lib/app/job-entries";
import { parseConfig } from "../../lib/config";
import type { Fleet, RunningEmulator } from "../../lib/emulator";
import { runJobs } from "../../lib/engine/runner";
import type { DecisionReport } from "../../lib/engine/types";
import type { QianfanApi } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore, type StateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit } from "../support/emulator";
import { slowFirstGet } from "../support/slow-store";

const MONDAY_NIGHT = new Date("2026-11-23T12:00:00Z"); // Mon 20:00 Shanghai: downtime
/** How long a listing stays fresh in these runs; a stale plan's listing is this much older when acting. */
const FRESH_MS = 300;
const STALE_MS = 400;

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const onUnit = (serviceId: string, instanceId: string, replicas: number, perReplica = 2) => ({
  serviceId,
  name: serviceId,
  createTime: "2026-11-01T00:00:00Z",
  updateTime: "2026-11-01T00:00:00Z",
  deployments: [{ instanceId, replicas, computeUnitsPerReplica: perReplica }],
});
const fleet = (): Fleet => ({
  computeUnits: [
    postpaidUnit("unit-a", { totalComputeUnits: 16, usedComputeUnits: 4 }),
    postpaidUnit("unit-b", { totalComputeUnits: 16, usedComputeUnits: 8 }),
  ],
  services: [onUnit("svc-1", "unit-a", 2), onUnit("svc-2", "unit-b", 3), onUnit("svc-3", "unit-b", 1)],
});
const binding = (id: string, unit: string) =>
  `{ serviceId: ${id}, instanceId: ${unit}, uptime: "Mon-Fri 09:00-18:00" }`;
const configWith = (...bindings: string[]) =>
  parseConfig(`version: 1\njobs:\n  scale-services:\n    services: [${bindings.join(", ")}]\n`, "test.yml");
const config = configWith(binding("svc-1", "unit-a"), binding("svc-2", "unit-b"), binding("svc-3", "unit-b"));

/** One applying scale-services run at Monday night; its job report. */
async function scaleRun(api: QianfanApi, store: StateStore = new MemoryStateStore(), memoryStore = store) {
  emulator!.clock.set(MONDAY_NIGHT);
  const report = await runJobs({
    jobs: [scaleServices.build(config)],
    api,
    store,
    memory: new JobMemory(memoryStore),
    guards: config.guards,
    now: MONDAY_NIGHT,
    clock: () => MONDAY_NIGHT,
    dryRun: false,
    target: "emulator",
    listingFreshMs: FRESH_MS,
  });
  return report.jobs[0]!;
}

const calls = (action: string) => emulator!.requestLog.filter((e) => e.action === action);
const outcomes = (decisions: DecisionReport[]) =>
  Object.fromEntries(decisions.filter((d) => d.verdict === "act").map((d) => [d.resourceId, d.outcome]));

describe("scale-services between two listings", () => {
  it("scales with one call each, its last look the plan's fresh listing, confirmed by the services' units after", async () => {
    emulator = await emulatorWith(fleet());
    const store = new MemoryStateStore();
    const report = await scaleRun(apiFor(emulator), store);
    expect(outcomes(report.decisions)).toEqual({
      "svc-1/unit-a": expect.objectContaining({ status: "done", observed: "0 replicas on unit-a" }),
      "svc-2/unit-b": expect.objectContaining({ status: "done", observed: "0 replicas on unit-b" }),
      "svc-3/unit-b": expect.objectContaining({ status: "done", observed: "0 replicas on unit-b" }),
    });
    expect(calls("ScaleService")).toHaveLength(3);
    // No look at one unit or one service: the plan's listing of each service's units, and the
    // listing of each after the batch.
    expect(calls("DescribeComputeUnit")).toHaveLength(0);
    expect(calls("DescribeService")).toHaveLength(0);
    expect(emulator.requestLog.filter((e) => e.route === `/v2/serviceresources`)).toHaveLength(6);
    // One unit listing right before the batch and one after: what one replica freed.
    expect(
      emulator.requestLog.filter(
        (e) => e.action === "DescribeComputeUnits" && e.route !== "/v2/serviceresources",
      ),
    ).toHaveLength(2);
    const targets = await new JobMemory(store).getRestoreTargets("scale-services");
    const byKey = Object.fromEntries(targets.map((t) => [`${t.serviceId}/${t.instanceId}`, t]));
    // svc-1 was its unit's one scale: 4 compute units freed by 2 replicas. svc-2 and svc-3 shared
    // unit-b, so what each freed cannot be told apart.
    expect(byKey["svc-1/unit-a"]).toMatchObject({ replicas: 2, computeUnitsPerReplica: 2 });
    expect(byKey["svc-2/unit-b"]).toMatchObject({ replicas: 3 });
    expect(byKey["svc-2/unit-b"]!.computeUnitsPerReplica).toBeUndefined();
    expect(byKey["svc-3/unit-b"]).toMatchObject({ replicas: 1 });
  });

  it("refuses a scale on a service whose replicas changed between plan and action, and confirms the others", async () => {
    emulator = await emulatorWith(fleet());
    const running = emulator;
    const store = new MemoryStateStore();
    const report = await scaleRun(
      apiFor(running),
      store,
      slowFirstGet(store, STALE_MS, () => {
        running.state.findService("svc-2").deployments[0]!.replicas = 4;
      }),
    );
    const byId = outcomes(report.decisions);
    expect(byId["svc-2/unit-b"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("the listing just before acting shows it no longer qualifies"),
    });
    expect(byId["svc-2/unit-b"]!.status === "skipped" && byId["svc-2/unit-b"]!.message).toContain("4 → 0");
    expect(byId["svc-1/unit-a"]).toMatchObject({ status: "done", observed: "0 replicas on unit-a" });
    expect(
      calls("ScaleService")
        .map((e) => (e.body as { serviceId: string }).serviceId)
        .sort(),
    ).toEqual(["svc-1", "svc-3"]);
    expect(running.state.replicasOn(running.state.findService("svc-2"), "unit-b")).toBe(4);
  });

  it("refuses a scale on a service changed by someone between plan and action (its grace begins)", async () => {
    emulator = await emulatorWith(fleet());
    const running = emulator;
    const store = new MemoryStateStore();
    const report = await scaleRun(
      apiFor(running),
      store,
      slowFirstGet(store, STALE_MS, () => {
        running.state.findService("svc-1").updateTime = new Date(MONDAY_NIGHT.getTime() - 60_000);
      }),
    );
    expect(outcomes(report.decisions)["svc-1/unit-a"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("within the grace"),
    });
    expect(calls("ScaleService").map((e) => (e.body as { serviceId: string }).serviceId)).not.toContain(
      "svc-1",
    );
  });

  it("refuses a scale on a service snoozed between plan and action", async () => {
    emulator = await emulatorWith(fleet());
    const store = new MemoryStateStore();
    const memory = new JobMemory(store);
    const api = apiFor(emulator);
    // The snooze lands while the run lists again for its last look (the plan's listing is stale).
    let serviceListings = 0;
    const snoozing = new Proxy(api, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop !== "describeServices") return value.bind(target);
        return async (...args: unknown[]) => {
          const listing = await value.apply(target, args);
          serviceListings += 1;
          if (serviceListings === 2) {
            const until = new Date(Math.max(Date.now(), MONDAY_NIGHT.getTime()) + 86_400_000).toISOString();
            await memory.putSnooze({ resourceId: "svc-3", until, by: "alice", reason: "demo" });
          }
          return listing;
        };
      },
    });
    const report = await scaleRun(snoozing, store, slowFirstGet(store, STALE_MS));
    expect(serviceListings).toBe(2);
    expect(outcomes(report.decisions)["svc-3/unit-b"]).toMatchObject({
      status: "skipped",
      message: expect.stringContaining("snoozed until"),
    });
    expect(
      calls("ScaleService")
        .map((e) => (e.body as { serviceId: string }).serviceId)
        .sort(),
    ).toEqual(["svc-1", "svc-2"]);
    expect(emulator.state.replicasOn(emulator.state.findService("svc-3"), "unit-b")).toBe(1);
  });

  it("reports a scale the platform accepted but did not apply as unconfirmed, with what it showed", async () => {
    emulator = await emulatorWith(fleet());
    const running = emulator;
    const api = apiFor(running);
    const undoing = new Proxy(api, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop !== "scaleService") return value.bind(target);
        return async (...args: unknown[]) => {
          const outcome = await value.apply(target, args);
          if (args[0] === "svc-1")
            running.state.findService("svc-1").deployments = [
              { instanceId: "unit-a", replicas: 2, computeUnitsPerReplica: 2 },
            ];
          return outcome;
        };
      },
    });
    const report = await scaleRun(undoing);
    expect(outcomes(report.decisions)["svc-1/unit-a"]).toMatchObject({
      status: "failed",
      code: "NotConfirmed",
      message: expect.stringContaining("accepted the scale but then showed 2 replicas on unit-a"),
    });
    expect(outcomes(report.decisions)["svc-2/unit-b"]).toMatchObject({ status: "done" });
  });

  it("checks the restores of one batch against one unit listing, each counting what the ones before it take", async () => {
    emulator = await emulatorWith({
      computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 8, usedComputeUnits: 2 })],
      services: ["svc-x", "svc-y"].map((id) => ({
        serviceId: id,
        name: id,
        createTime: "2026-11-01T00:00:00Z",
        updateTime: "2026-11-01T00:00:00Z",
        deployments: [],
      })),
    });
    const morning = new Date("2026-11-23T02:00:00Z"); // Mon 10:00 Shanghai: uptime
    emulator.clock.set(morning);
    const restore = (id: string) =>
      `{ serviceId: ${id}, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00", upReplicas: 4, computeUnitsPerReplica: 1 }`;
    const restoring = parseConfig(
      `version: 1\njobs:\n  scale-services:\n    services: [${restore("svc-x")}, ${restore("svc-y")}]\n`,
      "test.yml",
    );
    const store = new MemoryStateStore();
    const report = await runJobs({
      jobs: [scaleServices.build(restoring)],
      api: apiFor(emulator),
      store,
      memory: new JobMemory(store),
      guards: restoring.guards,
      now: morning,
      clock: () => morning,
      dryRun: false,
      target: "emulator",
    });
    const byId = outcomes(report.jobs[0]!.decisions);
    // 6 of 8 free: the first restore (4 replicas of 1) fits, and leaves 2 for the second.
    expect(byId["svc-x/unit-a"]).toMatchObject({ status: "done", observed: "4 replicas on unit-a" });
    expect(byId["svc-y/unit-a"]).toMatchObject({
      status: "failed",
      code: "NotEnoughFreeComputeUnits",
      message: expect.stringContaining("2 of 8 free"),
    });
    expect(calls("ScaleService").map((e) => (e.body as { serviceId: string }).serviceId)).toEqual(["svc-x"]);
  });

  it("asks for a bound service's units while the services are listed, and a binding to no service only warns", async () => {
    // 250 services: three pages. Bindings by id: svc-1 and svc-2 exist, svc-gone does not.
    const others = Array.from({ length: 247 }, (_, i) => onUnit(`svc-other-${i}`, "unit-b", 0));
    emulator = await emulatorWith({ ...fleet(), services: [...fleet().services!, ...others] });
    const byId = configWith(
      binding("svc-1", "unit-a"),
      binding("svc-gone", "unit-a"),
      binding("svc-2", "unit-b"),
    );
    emulator.clock.set(MONDAY_NIGHT);
    const report = (
      await runJobs({
        jobs: [scaleServices.build(byId)],
        api: apiFor(emulator),
        store: new MemoryStateStore(),
        memory: new JobMemory(new MemoryStateStore()),
        guards: byId.guards,
        now: MONDAY_NIGHT,
        clock: () => MONDAY_NIGHT,
        dryRun: false,
        target: "emulator",
        listingFreshMs: FRESH_MS,
      })
    ).jobs[0]!;
    expect(outcomes(report.decisions)).toEqual({
      "svc-1/unit-a": expect.objectContaining({ status: "done" }),
      "svc-2/unit-b": expect.objectContaining({ status: "done" }),
    });
    expect(report.warnings).toContainEqual(expect.stringContaining("(svc-gone) matches no service"));
    const log = [...emulator.requestLog].sort((a, b) => a.seq - b.seq);
    const pages = log.flatMap((e, i) => (e.action === "DescribeServices" ? [i] : []));
    const firstUnits = log.findIndex((e) => e.route === "/v2/serviceresources");
    // The inventory's three pages come first (the batch's last look lists again later).
    expect(pages.length).toBeGreaterThanOrEqual(3);
    // Asked for at the start, beside the first page, not after the inventory's last one.
    expect(firstUnits).toBeLessThan(pages[2]!);
    expect(
      calls("ScaleService")
        .map((e) => (e.body as { serviceId: string }).serviceId)
        .sort(),
    ).toEqual(["svc-1", "svc-2"]);
  });
});
