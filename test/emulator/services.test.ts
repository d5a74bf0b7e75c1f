import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import {
  DescribeComputeUnitResult,
  DescribeServicesResult,
  ServiceSchema,
  TrueResult,
} from "../../lib/qianfan/schemas";
import { call, idsOf, ok, service, startAt, unit } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

/** unit-1: 8 compute units, 1 used by something outside the services, 4 by svc-1 (2 replicas x 2). */
const fleet = {
  computeUnits: [
    unit("unit-1", { totalComputeUnits: 8, usedComputeUnits: 5 }),
    unit("unit-2", { totalComputeUnits: 4 }),
  ],
  services: [
    service("svc-1", [{ instanceId: "unit-1", replicas: 2, computeUnitsPerReplica: 2 }], { name: "chat" }),
  ],
};

const scale = (serviceId: string, instanceId: string, deploymentReplicasCount: number) =>
  call(emulator, "ScaleService", { serviceId, instanceId, deploymentReplicasCount });
const describeUnit = (instanceId: string) =>
  ok(emulator, "DescribeComputeUnit", { instanceId }, DescribeComputeUnitResult);
const describeService = (serviceId: string) => ok(emulator, "DescribeService", { serviceId }, ServiceSchema);

describe("ScaleService", () => {
  it("changes the replicas and the unit's used compute units, and sets updateTime", async () => {
    emulator = await startAt(fleet);
    expect((await scale("svc-1", "unit-1", 3)).body.result).toBe(true);
    const described = await describeUnit("unit-1");
    expect(described.computeUnitInstance.usedComputeUnits).toBe(7);
    expect(described.serviceUsageList).toEqual([
      { serviceId: "svc-1", name: "chat", deploymentReplicasCount: 3, usedComputeUnits: 6 },
    ]);
    expect(await describeService("svc-1")).toMatchObject({
      runStatus: "Serving",
      updateTime: "2026-11-23T02:00:00Z",
      resourceConfig: { replicasCount: 3 },
      deployments: [{ instanceId: "unit-1", deploymentReplicasCount: 3, computeUnitsPerReplica: 2 }],
    });
  });

  it("refuses to scale beyond the unit's free compute units, saying how many are free and needed", async () => {
    emulator = await startAt(fleet);
    const answer = await scale("svc-1", "unit-1", 4);
    expect(answer).toMatchObject({ status: 400, body: { code: "InsufficientComputeUnits" } });
    expect(answer.body.message).toContain("has 3 free compute units");
    expect(answer.body.message).toContain("need 4 more");
    expect((await describeUnit("unit-1")).computeUnitInstance.usedComputeUnits).toBe(5);
  });

  it("removes the unit from the service at 0 replicas; with no replicas left the service is Stopped", async () => {
    emulator = await startAt(fleet);
    await scale("svc-1", "unit-1", 0);
    const described = await describeUnit("unit-1");
    expect(described.computeUnitInstance.usedComputeUnits).toBe(1);
    expect(described.serviceUsageList).toEqual([]);
    expect(await describeService("svc-1")).toMatchObject({
      runStatus: "Stopped",
      resourceConfig: { replicasCount: 0 },
      deployments: [],
    });
  });

  it("deploys a service onto another unit with its per-replica size, counting replicas over both", async () => {
    emulator = await startAt(fleet);
    await scale("svc-1", "unit-1", 0);
    await scale("svc-1", "unit-2", 2);
    expect((await describeUnit("unit-2")).computeUnitInstance.usedComputeUnits).toBe(4);
    await scale("svc-1", "unit-1", 1);
    expect((await describeService("svc-1")).resourceConfig?.replicasCount).toBe(3);
  });

  it("refuses a unit that is not Running, and unknown services and units", async () => {
    emulator = await startAt({
      ...fleet,
      computeUnits: [...fleet.computeUnits, unit("unit-gone", { status: "Released" })],
    });
    expect(await scale("svc-1", "unit-gone", 1)).toMatchObject({
      status: 400,
      body: { code: "InvalidInstanceStatus" },
    });
    expect(await scale("svc-x", "unit-1", 1)).toMatchObject({
      status: 404,
      body: { code: "ServiceNotFound" },
    });
    expect(await scale("svc-1", "unit-x", 1)).toMatchObject({
      status: 404,
      body: { code: "InstanceNotFound" },
    });
  });

  it("accepts a scale to the replicas already running without changing updateTime", async () => {
    emulator = await startAt(fleet);
    expect((await scale("svc-1", "unit-1", 2)).status).toBe(200);
    expect((await describeService("svc-1")).updateTime).toBe("2026-11-02T00:00:00Z");
  });

  it("keeps a pinned Deploying status until the service is scaled", async () => {
    emulator = await startAt({
      ...fleet,
      services: [...fleet.services, service("svc-new", [], { runStatus: "Deploying" })],
    });
    expect((await describeService("svc-new")).runStatus).toBe("Deploying");
    await scale("svc-new", "unit-2", 1);
    expect((await describeService("svc-new")).runStatus).toBe("Serving");
  });
});

describe("DescribeServices", () => {
  const many = {
    computeUnits: [unit("unit-1", { totalComputeUnits: 100, usedComputeUnits: 13 })],
    services: Array.from({ length: 25 }, (_, i) =>
      service(
        `svc-${String(i).padStart(2, "0")}`,
        i % 2 === 0 ? [{ instanceId: "unit-1", replicas: 1 }] : [],
        {
          name: i < 5 ? `chat-${i}` : `embed-${i}`,
          creator: i % 3 === 0 ? "ml-platform" : "alice@example.com",
        },
      ),
    ),
  };
  const page = (body: object) => ok(emulator, "DescribeServices", body, DescribeServicesResult);

  it("pages with marker = the first id of the page and nextMarker = the first id of the next", async () => {
    emulator = await startAt(many);
    const first = await page({});
    expect(first.serviceList).toHaveLength(10);
    expect(first.pageInfo).toEqual({ marker: "", maxKeys: 10, isTruncated: true, nextMarker: "svc-10" });
    const last = await page({ marker: "svc-20", maxKeys: 10 });
    expect(idsOf(last.serviceList, "serviceId")).toEqual(["svc-20", "svc-21", "svc-22", "svc-23", "svc-24"]);
    expect(last.pageInfo).toEqual({ marker: "svc-20", maxKeys: 10, isTruncated: false });
  });

  it("filters by name substring, runStatus and creator", async () => {
    emulator = await startAt(many);
    const chat = await page({ name: "chat", maxKeys: 100 });
    expect(idsOf(chat.serviceList, "serviceId")).toEqual(["svc-00", "svc-01", "svc-02", "svc-03", "svc-04"]);
    const stopped = await page({ runStatus: ["Stopped"], creator: ["ml-platform"], maxKeys: 100 });
    expect(idsOf(stopped.serviceList, "serviceId")).toEqual(["svc-03", "svc-09", "svc-15", "svc-21"]);
  });

  it("answers 400 for a marker that names no service", async () => {
    emulator = await startAt(many);
    expect(await call(emulator, "DescribeServices", { marker: "svc-x" })).toMatchObject({
      status: 400,
      body: { code: "InvalidParameter" },
    });
  });
});

describe("fleet deployments", () => {
  it("adds the services' deployments to the unit's baseline use", async () => {
    emulator = await startAt(fleet);
    await ok(
      emulator,
      "ScaleService",
      { serviceId: "svc-1", instanceId: "unit-1", deploymentReplicasCount: 1 },
      TrueResult,
    );
    const [record] = emulator.state.units;
    expect(record!.baselineUsed).toBe(1);
    expect((await describeUnit("unit-1")).computeUnitInstance.usedComputeUnits).toBe(3);
  });
});
