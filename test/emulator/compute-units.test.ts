import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import {
  DescribeComputeUnitResult,
  DescribeComputeUnitsResult,
  PurchaseResult,
  TrueResult,
} from "../../lib/qianfan/schemas";
import { call, idsOf, ok, service, startAt, T0, unit } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

const describeUnit = async (instanceId: string) =>
  (await ok(emulator, "DescribeComputeUnit", { instanceId }, DescribeComputeUnitResult)).computeUnitInstance;

describe("DescribeComputeUnits", () => {
  it("writes a listing of many pieces whole, multi-byte names across the pieces' edges", async () => {
    // 3,000 units are several 64 KB pieces; each creator's name is three-byte and four-byte
    // characters, so some piece edges fall inside a character.
    const creator = (i: number) => `运维-${i}-🚀`;
    emulator = await startAt({
      computeUnits: Array.from({ length: 3000 }, (_, i) => unit(`unit-${i}`, { creator: creator(i) })),
    });
    const answer = await call(emulator, "DescribeComputeUnits", {});
    expect(answer.status).toBe(200);
    const length = Number(answer.headers.get("content-length"));
    expect(length).toBe(Buffer.byteLength(JSON.stringify(answer.body)));
    expect(length).toBeGreaterThan(4 * 64 * 1024);
    const units = DescribeComputeUnitsResult.parse(answer.body.result).computeUnitInstanceList;
    expect(units.map((u) => [u.instanceId, u.creator])).toEqual(
      Array.from({ length: 3000 }, (_, i) => [`unit-${i}`, creator(i)]),
    );
  });

  it("lists every unit, released ones too, in the shape of seed 001", async () => {
    emulator = await startAt({
      computeUnits: [
        unit("unit-1"),
        unit("unit-pre", {
          paymentTiming: "Prepaid",
          expiredTime: "2026-12-20T00:00:00Z",
          reservationLength: 1,
          reservationTimeUnit: "MONTH",
        }),
        unit("unit-gone", { status: "Released" }),
      ],
    });
    const { computeUnitInstanceList: units } = await ok(
      emulator,
      "DescribeComputeUnits",
      {},
      DescribeComputeUnitsResult,
    );
    expect(idsOf(units, "instanceId")).toEqual(["unit-1", "unit-pre", "unit-gone"]);
    expect(units[1]).toEqual({
      instanceId: "unit-pre",
      region: "bj",
      status: "Running",
      type: "gpu-1",
      totalComputeUnits: 4,
      usedComputeUnits: 0,
      paymentTiming: "Prepaid",
      startTime: "2026-11-20T00:00:00Z",
      expiredTime: "2026-12-20T00:00:00Z",
      reservationLength: 1,
      reservationTimeUnit: "MONTH",
      creator: "alice@example.com",
    });
  });

  it("filters by region, payment timing and type", async () => {
    emulator = await startAt({
      computeUnits: [
        unit("a", { region: "bj", type: "gpu-1" }),
        unit("b", { region: "bd", type: "gpu-1" }),
        unit("c", { region: "bd", type: "CPU" }),
        unit("d", { region: "bd", type: "CPU", paymentTiming: "Prepaid", expiredTime: "+30d" }),
      ],
    });
    const list = async (filter: object) =>
      idsOf(
        (await ok(emulator, "DescribeComputeUnits", filter, DescribeComputeUnitsResult))
          .computeUnitInstanceList,
        "instanceId",
      );
    expect(await list({ region: "bd" })).toEqual(["b", "c", "d"]);
    expect(await list({ region: "bd", type: "CPU" })).toEqual(["c", "d"]);
    expect(await list({ region: "bd", type: "CPU", paymentTiming: "Postpaid" })).toEqual(["c"]);
  });
});

describe("ReleaseComputeUnit", () => {
  it("takes a postpaid Running unit through Releasing to Released after the transition time", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    expect(await ok(emulator, "ReleaseComputeUnit", { instanceId: "unit-1" }, TrueResult)).toBe(true);
    expect((await describeUnit("unit-1")).status).toBe("Releasing");
    emulator.clock.advance(2999);
    expect((await describeUnit("unit-1")).status).toBe("Releasing");
    emulator.clock.advance(1);
    expect((await describeUnit("unit-1")).status).toBe("Released");
  });

  it("never releases a prepaid unit", async () => {
    emulator = await startAt({
      computeUnits: [unit("unit-pre", { paymentTiming: "Prepaid", expiredTime: "2026-12-20T00:00:00Z" })],
    });
    const answer = await call(emulator, "ReleaseComputeUnit", { instanceId: "unit-pre" });
    expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(answer.body.message).toMatch(/^instanceId: compute unit unit-pre is prepaid/);
    expect((await describeUnit("unit-pre")).status).toBe("Running");
  });

  it.each(["Releasing", "Released", "Creating"])(
    "refuses a unit that is %s with InappropriateJSON naming the field and the status",
    async (status) => {
      emulator = await startAt({ computeUnits: [unit("unit-1", { status })] });
      const answer = await call(emulator, "ReleaseComputeUnit", { instanceId: "unit-1" });
      expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
      expect(answer.body.message).toMatch(/^instanceId: /);
      expect(answer.body.message).toContain(status);
    },
  );

  it("answers 404 InstanceNotFound for a unit that does not exist", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "ReleaseComputeUnit", { instanceId: "unit-x" });
    expect(answer).toMatchObject({ status: 404, body: { code: "InstanceNotFound" } });
  });

  it("releases a unit with services on it, as the platform does, and records that it did", async () => {
    emulator = await startAt({
      computeUnits: [unit("unit-1", { usedComputeUnits: 2 })],
      services: [service("svc-1", [{ instanceId: "unit-1", replicas: 2 }])],
    });
    await ok(emulator, "ReleaseComputeUnit", { instanceId: "unit-1" }, TrueResult);
    const after = await ok(
      emulator,
      "DescribeComputeUnit",
      { instanceId: "unit-1" },
      DescribeComputeUnitResult,
    );
    expect(after.computeUnitInstance).toMatchObject({ status: "Releasing", usedComputeUnits: 0 });
    expect(after.serviceUsageList).toEqual([]);
    expect(emulator.state.busyReleases).toEqual([
      {
        instanceId: "unit-1",
        at: T0,
        usedComputeUnits: 2,
        serviceIds: ["svc-1"],
        cause: "ReleaseComputeUnit",
      },
    ]);
  });
});

describe("AutoReleaseComputeUnit", () => {
  it("sets and clears a postpaid unit's release time", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    await ok(
      emulator,
      "AutoReleaseComputeUnit",
      { instanceId: "unit-1", releaseTime: "2026-11-24 10:00:00" },
      TrueResult,
    );
    expect((await describeUnit("unit-1")).releaseTime).toBe("2026-11-24T02:00:00Z");
    await ok(emulator, "AutoReleaseComputeUnit", { instanceId: "unit-1" }, TrueResult);
    expect((await describeUnit("unit-1")).releaseTime).toBeUndefined();
  });

  it("refuses a prepaid unit", async () => {
    emulator = await startAt({
      computeUnits: [unit("unit-pre", { paymentTiming: "Prepaid", expiredTime: "+20d" })],
    });
    const answer = await call(emulator, "AutoReleaseComputeUnit", {
      instanceId: "unit-pre",
      releaseTime: "2026-11-24T00:00:00Z",
    });
    expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(answer.body.message).toContain("is prepaid");
  });

  it("lets a postpaid unit release itself once its release time passes", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    await ok(
      emulator,
      "AutoReleaseComputeUnit",
      { instanceId: "unit-1", releaseTime: "2026-11-23T03:00:00Z" },
      TrueResult,
    );
    emulator.clock.set(new Date("2026-11-23T02:59:59Z"));
    expect((await describeUnit("unit-1")).status).toBe("Running");
    emulator.clock.set(new Date("2026-11-23T03:00:01Z"));
    expect((await describeUnit("unit-1")).status).toBe("Releasing");
    emulator.clock.set(new Date("2026-11-23T03:00:03Z"));
    expect((await describeUnit("unit-1")).status).toBe("Released");
  });

  it("keeps running a fleet unit marked autoReleaseSkipped although its release time passed", async () => {
    emulator = await startAt({
      computeUnits: [unit("unit-1", { releaseTime: "-90m", autoReleaseSkipped: true })],
    });
    emulator.clock.advance(3_600_000);
    expect(await describeUnit("unit-1")).toMatchObject({
      status: "Running",
      releaseTime: "2026-11-23T00:30:00Z",
    });
  });
});

describe("PurchaseComputeUnit", () => {
  it("creates a unit that is Creating, then Running after the transition time", async () => {
    emulator = await startAt({});
    const { instanceId } = await ok(
      emulator,
      "PurchaseComputeUnit",
      {
        computeUnitCount: 8,
        billing: { paymentTiming: "Postpaid", releaseTime: "2026-11-23T12:00:00+08:00" },
        computeUnitConfig: { region: "bd", type: "gpu-2" },
      },
      PurchaseResult,
    );
    expect(await describeUnit(instanceId)).toMatchObject({
      status: "Creating",
      region: "bd",
      type: "gpu-2",
      totalComputeUnits: 8,
      usedComputeUnits: 0,
      paymentTiming: "Postpaid",
      startTime: "2026-11-23T02:00:00Z",
      releaseTime: "2026-11-23T04:00:00Z",
    });
    emulator.clock.advance(3000);
    expect((await describeUnit(instanceId)).status).toBe("Running");
  });

  it("gives a prepaid unit its reservation term", async () => {
    emulator = await startAt({});
    const { instanceId } = await ok(
      emulator,
      "PurchaseComputeUnit",
      {
        computeUnitCount: 2,
        billing: {
          paymentTiming: "Prepaid",
          reservation: { reservationLength: 2, reservationTimeUnit: "MONTH" },
        },
        computeUnitConfig: { region: "bj", type: "CPU" },
      },
      PurchaseResult,
    );
    expect(await describeUnit(instanceId)).toMatchObject({
      expiredTime: "2027-01-23T02:00:00Z",
      reservationLength: 2,
      reservationTimeUnit: "MONTH",
    });
  });
});

describe("prepaid terms", () => {
  it("releases a prepaid unit at the end of its term, and renews one that renews itself", async () => {
    emulator = await startAt({
      computeUnits: [
        unit("unit-ends", { paymentTiming: "Prepaid", expiredTime: "+1d" }),
        unit("unit-renews", {
          paymentTiming: "Prepaid",
          expiredTime: "2026-11-24T02:00:00Z",
          autoRenew: { renewTime: 1, renewTimeUnit: "MONTH" },
        }),
      ],
    });
    emulator.clock.advance(2 * 86_400_000);
    expect((await describeUnit("unit-ends")).status).toBe("Released");
    expect(await describeUnit("unit-renews")).toMatchObject({
      status: "Running",
      expiredTime: "2026-12-24T02:00:00Z",
    });
  });
});
