import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import { QianfanUnknownOutcomeError } from "../../lib/qianfan";
import { apiFor, emulatorWith, postpaidUnit } from "../support/emulator";

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("the client under injected faults", () => {
  it("ends 500 consecutive releases in exactly one release each, with 20% 429 and 10% 500 answers", async () => {
    const ids = Array.from({ length: 500 }, (_, i) => `unit-${String(i).padStart(3, "0")}`);
    emulator = await emulatorWith(
      { computeUnits: ids.map((id) => postpaidUnit(id)) },
      { faults: { rateLimit429Rate: 0.2, failRate: 0.1 }, seed: 7 },
    );
    const api = apiFor(emulator);
    const failures: string[] = [];
    for (const id of ids) {
      await api.releaseComputeUnit(id).catch((e) => failures.push(`${id}: ${e.message}`));
    }
    expect(failures).toEqual([]);
    const applied = emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit" && e.status === 200);
    expect(applied.map((e) => (e.body as { instanceId: string }).instanceId)).toEqual(ids);
    const injected = emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit" && e.fault);
    expect(injected.filter((e) => e.status === 429).length).toBeGreaterThan(50);
    expect(injected.filter((e) => e.status >= 500).length).toBeGreaterThan(20);
    const units = await api.describeComputeUnits();
    expect(units.every((u) => u.status === "Releasing")).toBe(true);
  });

  it("does not buy twice when the answer to a purchase is lost", async () => {
    emulator = await emulatorWith({});
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-after-apply", times: 1 });
    const api = apiFor(emulator);
    const outcome = await api.purchaseTpm({
      model: "ernie-3.5-8k",
      purchaseCount: 1,
      releaseTime: "2026-11-23T12:00:00+08:00",
    });
    const purchases = emulator.requestLog.filter((e) => e.action === "PurchaseTPMResource");
    expect(purchases).toHaveLength(1);
    expect(purchases[0]!.fault).toBe("reset-after-apply");
    expect(outcome.recoveredByListing).toBe(true);
    const listed = await api.describeTpmResources("ernie-3.5-8k");
    expect(listed.map((i) => i.instanceId)).toEqual([outcome.instanceId]);
  });

  it("does not buy twice when a purchase hangs past the client timeout", async () => {
    emulator = await emulatorWith({});
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "hang-after-apply", times: 1 });
    const api = apiFor(emulator, { timeoutMs: 300 });
    const outcome = await api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 });
    expect(emulator.requestLog.filter((e) => e.action === "PurchaseTPMResource")).toHaveLength(1);
    expect(outcome.recoveredByListing).toBe(true);
    expect(await api.describeTpmResources("ernie-3.5-8k")).toHaveLength(1);
  });

  it("buys again only when the lost request proves absent (reset before it was applied)", async () => {
    emulator = await emulatorWith({});
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-before", times: 1 });
    const api = apiFor(emulator);
    const outcome = await api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 });
    expect(outcome).toMatchObject({ recoveredByListing: false, purchaseRequests: 2 });
    expect(await api.describeTpmResources("ernie-3.5-8k")).toHaveLength(1);
  });

  it("reports an unknown outcome rather than buying a third time", async () => {
    emulator = await emulatorWith({});
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-before", times: 5 });
    const api = apiFor(emulator);
    await expect(api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 })).rejects.toBeInstanceOf(
      QianfanUnknownOutcomeError,
    );
    expect(emulator.requestLog.filter((e) => e.action === "PurchaseTPMResource")).toHaveLength(2);
    expect(await api.describeTpmResources("ernie-3.5-8k")).toHaveLength(0);
  });

  it("survives connection resets and slow answers on reads", async () => {
    emulator = await emulatorWith(
      { computeUnits: [postpaidUnit("unit-1")] },
      { faults: { resetRate: 0.3, slowRate: 0.2, slowMs: 400 }, seed: 3 },
    );
    const api = apiFor(emulator, { timeoutMs: 200 });
    for (let i = 0; i < 20; i += 1) expect(await api.describeComputeUnits()).toHaveLength(1);
    expect(emulator.requestLog.some((e) => e.fault === "reset")).toBe(true);
    expect(emulator.requestLog.some((e) => e.fault === "slow")).toBe(true);
  });

  it("answers 429 with Retry-After beyond the server's request rate", async () => {
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1")] }, { faults: { qps: 5 } });
    const api = apiFor(emulator, { retry: { retries: 0 } });
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => api.describeComputeUnits()));
    expect(results.filter((r) => r.status === "rejected")).toHaveLength(5);
    expect(emulator.requestLog.filter((e) => e.status === 429 && e.fault === "qps-limit")).toHaveLength(5);
  });
});
