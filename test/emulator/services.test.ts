import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import { SERVICE_UNIT_ACTION, SERVICE_UNITS_ACTION } from "../../lib/qianfan/actions";
import {
  DescribeComputeUnitResult,
  DescribeServicesResult,
  DescribeServiceUnitResult,
  DescribeServiceUnitsResult,
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

  it("refuses to scale beyond the unit's free compute units with InappropriateJSON, saying how many are free and needed", async () => {
    emulator = await startAt(fleet);
    const answer = await scale("svc-1", "unit-1", 4);
    expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(answer.body.message).toMatch(/^deploymentReplicasCount: not enough free compute units: /);
    expect(answer.body.message).toContain("unit-1 has 3 free");
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
    const notRunning = await scale("svc-1", "unit-gone", 1);
    expect(notRunning).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(notRunning.body.message).toMatch(/^instanceId: compute unit unit-gone is Released/);
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
    const answer = await call(emulator, "DescribeServices", { marker: "svc-x" });
    expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(answer.body.message).toMatch(/^marker: svc-x /);
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

describe("/v2/serviceresources", () => {
  const units = (serviceId: string, extra: Record<string, unknown> = {}) =>
    ok(emulator, SERVICE_UNITS_ACTION, { serviceId, ...extra }, DescribeServiceUnitsResult);

  it("lists a service's units with the replicas every other answer shows, and follows a scale", async () => {
    emulator = await startAt(fleet);
    expect((await units("svc-1")).instances).toEqual([
      { instanceId: "unit-1", paymentTiming: "Postpaid", replicasCount: 2, status: "Running" },
    ]);
    await scale("svc-1", "unit-2", 1);
    await scale("svc-1", "unit-1", 0);
    const after = (await units("svc-1")).instances as Array<{ instanceId: string; replicasCount: number }>;
    expect(after.map((u) => [u.instanceId, u.replicasCount])).toEqual([["unit-2", 1]]);
    expect((await describeService("svc-1")).resourceConfig?.replicasCount).toBe(1);
    expect((await describeUnit("unit-2")).serviceUsageList).toMatchObject([{ deploymentReplicasCount: 1 }]);
  });

  it("filters by paymentTiming and answers one unit of the service, refusing a unit it does not use", async () => {
    emulator = await startAt(fleet);
    expect((await units("svc-1", { paymentTiming: "Prepaid" })).instances).toEqual([]);
    const one = await ok(
      emulator,
      SERVICE_UNIT_ACTION,
      { serviceId: "svc-1", instanceId: "unit-1" },
      DescribeServiceUnitResult,
    );
    expect(one.instance).toMatchObject({ instanceId: "unit-1", replicasCount: 2 });
    const refused = await call(emulator, SERVICE_UNIT_ACTION, { serviceId: "svc-1", instanceId: "unit-2" });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain("instanceId");
  });

  it("answers DescribeComputeUnits differently on its two routes", async () => {
    emulator = await startAt(fleet);
    const account = await call(emulator, "DescribeComputeUnits", {});
    const ofService = await call(emulator, SERVICE_UNITS_ACTION, { serviceId: "svc-1" });
    expect(Object.keys(account.body.result as object)).toEqual(["computeUnitInstanceList"]);
    expect(Object.keys(ofService.body.result as object)).toEqual(["instances"]);
    const missing = await call(emulator, SERVICE_UNITS_ACTION, {});
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("serviceId");
  });

  it("leaves a dropped field out of the answers of the action it is dropped for", async () => {
    emulator = await startAt(fleet);
    emulator.setDroppedFields([{ action: SERVICE_UNITS_ACTION, field: "replicasCount" }]);
    expect((await units("svc-1")).instances).toEqual([
      { instanceId: "unit-1", paymentTiming: "Postpaid", status: "Running" },
    ]);
    expect((await call(emulator, "DescribeService", { serviceId: "svc-1" })).body.result).toMatchObject({
      resourceConfig: { replicasCount: 2 },
    });
  });
});
