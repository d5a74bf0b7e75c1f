import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import { DescribeTpmResourceResult, PurchaseResult, TrueResult } from "../../lib/qianfan/schemas";
import { call, idsOf, ok, startAt } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

const MODEL = "ernie-speed-8k";
const list = async (body: object = {}) =>
  (await ok(emulator, "DescribeTPMResource", { model: MODEL, ...body }, DescribeTpmResourceResult)).instances;
const purchase = (releaseTime?: string, purchaseCount = 2) =>
  ok(
    emulator,
    "PurchaseTPMResource",
    {
      model: MODEL,
      billing: { paymentTiming: "Postpaid", ...(releaseTime ? { releaseTime } : {}) },
      purchaseCount,
    },
    PurchaseResult,
  );

describe("TPM quota", () => {
  it("buys quota that is Creating, then Running after the transition time", async () => {
    emulator = await startAt({});
    const { instanceId } = await purchase();
    expect(await list()).toEqual([
      {
        instanceId,
        paymentTiming: "Postpaid",
        rpm: 66,
        tpm: 20_000,
        status: "Creating",
        startTime: "2026-11-23T02:00:00Z",
      },
    ]);
    emulator.clock.advance(3000);
    expect((await list())[0]!.status).toBe("Running");
  });

  it("lists 10,000 TPM and 33 RPM per purchased unit, the size the docs give one", async () => {
    emulator = await startAt({});
    for (const count of [1, 3, 7]) await purchase(undefined, count);
    expect((await list()).map(({ tpm, rpm }) => ({ tpm, rpm }))).toEqual([
      { tpm: 10_000, rpm: 33 },
      { tpm: 30_000, rpm: 99 },
      { tpm: 70_000, rpm: 231 },
    ]);
  });

  it("lets quota bought with a Beijing-time release time disappear once it passes", async () => {
    emulator = await startAt({});
    const { instanceId } = await purchase("2026-11-23 12:00:00");
    expect((await list())[0]).toMatchObject({ instanceId, releaseTime: "2026-11-23T04:00:00Z" });
    emulator.clock.set(new Date("2026-11-23T03:59:59Z"));
    expect(idsOf(await list(), "instanceId")).toEqual([instanceId]);
    emulator.clock.set(new Date("2026-11-23T04:00:00Z"));
    expect(await list()).toEqual([]);
  });

  it("accepts an RFC 3339 release time with an offset", async () => {
    emulator = await startAt({});
    await purchase("2026-11-23T12:30:00+08:00");
    expect((await list())[0]!.releaseTime).toBe("2026-11-23T04:30:00Z");
  });

  it("releases Running quota to Stopped, after which it leaves the listing", async () => {
    emulator = await startAt({
      tpmResources: [{ instanceId: "tpm-1", model: MODEL, startTime: "-1d" }],
    });
    expect(await ok(emulator, "ReleaseTPMResource", { model: MODEL, instanceId: "tpm-1" }, TrueResult)).toBe(
      true,
    );
    expect((await list())[0]!.status).toBe("Stopped");
    const again = await call(emulator, "ReleaseTPMResource", { model: MODEL, instanceId: "tpm-1" });
    expect(again).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(again.body.message).toMatch(/^instanceId: /);
    expect(again.body.message).toContain("Stopped");
    emulator.clock.advance(3000);
    expect(await list()).toEqual([]);
    const gone = await call(emulator, "ReleaseTPMResource", { model: MODEL, instanceId: "tpm-1" });
    expect(gone).toMatchObject({ status: 404, body: { code: "InstanceNotFound" } });
  });

  it("lists only the model asked for, filtered by instance id and status", async () => {
    emulator = await startAt({
      tpmResources: [
        { instanceId: "tpm-a", model: MODEL, startTime: "-1d" },
        { instanceId: "tpm-b", model: MODEL, startTime: "-1h", status: "Creating" },
        { instanceId: "tpm-c", model: "ernie-lite-8k", startTime: "-1d" },
      ],
    });
    expect(idsOf(await list(), "instanceId")).toEqual(["tpm-a", "tpm-b"]);
    expect(idsOf(await list({ status: "Running" }), "instanceId")).toEqual(["tpm-a"]);
    expect(idsOf(await list({ instanceId: "tpm-b" }), "instanceId")).toEqual(["tpm-b"]);
    expect(await list({ instanceId: "tpm-c" })).toEqual([]);
  });
});
