import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import { DescribeTpmResourceResult } from "../../lib/qianfan/schemas";
import { call, ok, startAt, task, unit } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

const units = (n: number) => Array.from({ length: n }, (_, i) => unit(`unit-${i}`));
const statusOf = (instanceId: string) =>
  emulator.state.units.find((u) => u.instanceId === instanceId)!.status;

describe("random faults", () => {
  it("answers 429 with Qianfan's QPS-limit code 18 and Retry-After beyond the qps limit in a rolling second", async () => {
    emulator = await startAt({}, { faults: { qps: 3 } });
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => call(emulator, "DescribeComputeUnits")),
    );
    const limited = answers.filter((a) => a.status === 429);
    expect(limited).toHaveLength(3);
    expect(limited.every((a) => a.body.error_code === 18 && a.headers.get("retry-after") === "1")).toBe(true);
    expect(emulator.requestLog.filter((e) => e.fault === "qps-limit")).toHaveLength(3);
  });

  it("answers 500 InternalError or 503 ServiceUnavailable at failRate 1, without applying the action", async () => {
    emulator = await startAt({ computeUnits: units(8) }, { faults: { failRate: 1 } });
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call(emulator, "ReleaseComputeUnit", { instanceId: `unit-${i}` })),
    );
    expect(answers.every((a) => a.status === 500 || a.status === 503)).toBe(true);
    expect(new Set(answers.map((a) => a.body.code))).toEqual(
      new Set(["InternalError", "ServiceUnavailable"]),
    );
    expect(emulator.state.units.every((u) => u.status === "Running")).toBe(true);
    expect(emulator.requestLog.every((e) => e.fault === "error")).toBe(true);
  });

  it("answers 429 code 18 at rateLimit429Rate 1, without applying the action", async () => {
    emulator = await startAt({ computeUnits: units(1) }, { faults: { rateLimit429Rate: 1 } });
    const answer = await call(emulator, "ReleaseComputeUnit", { instanceId: "unit-0" });
    // Qianfan's numeric codes come in its own shape, {error_code, error_msg}.
    expect(answer).toMatchObject({ status: 429, body: { error_code: 18 } });
    expect(answer.body.error_msg).toMatch(/^Open api qps request limit reached /);
    expect(statusOf("unit-0")).toBe("Running");
    expect(emulator.requestLog[0]).toMatchObject({ status: 429, fault: "rate-limit" });
  });

  it("drops the connection with no answer at resetRate 1, without applying the action", async () => {
    emulator = await startAt({ computeUnits: units(1) }, { faults: { resetRate: 1 } });
    await expect(call(emulator, "ReleaseComputeUnit", { instanceId: "unit-0" })).rejects.toThrow();
    expect(statusOf("unit-0")).toBe("Running");
    expect(emulator.requestLog[0]).toMatchObject({ status: 0, fault: "reset" });
  });

  it("applies the action but answers too late for the client at slowRate 1", async () => {
    emulator = await startAt({ computeUnits: units(1) }, { faults: { slowRate: 1, slowMs: 250 } });
    const attempt = call(
      emulator,
      "ReleaseComputeUnit",
      { instanceId: "unit-0" },
      { signal: AbortSignal.timeout(50) },
    );
    await expect(attempt).rejects.toThrow();
    expect(statusOf("unit-0")).toBe("Releasing");
    await expect
      .poll(() => emulator.requestLog[0], { timeout: 30_000 })
      .toMatchObject({ fault: "slow", code: "ClientGone" });
  });

  it("adds latencyMs to every answer", async () => {
    emulator = await startAt({}, { faults: { latencyMs: 120 } });
    const started = performance.now();
    expect((await call(emulator, "DescribeComputeUnits")).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it("repeats the same faults for the same seed", async () => {
    const run = async (seed: number) => {
      const e = await startAt({}, { faults: { failRate: 0.5 }, seed });
      const statuses: number[] = [];
      for (let i = 0; i < 24; i += 1) statuses.push((await call(e, "DescribeComputeUnits")).status);
      await e.close();
      return statuses.join(",");
    };
    const first = await run(42);
    expect(await run(42)).toBe(first);
    expect(await run(43)).not.toBe(first);
    expect(first).toContain("200");
    expect(first).toMatch(/50[03]/);
  });

  it("takes new fault options while running, keeping the others", async () => {
    emulator = await startAt({}, { faults: { latencyMs: 1 } });
    expect((await call(emulator, "DescribeComputeUnits")).status).toBe(200);
    emulator.setFaults({ rateLimit429Rate: 1 });
    expect((await call(emulator, "DescribeComputeUnits")).status).toBe(429);
    emulator.setFaults({ rateLimit429Rate: 0 });
    expect((await call(emulator, "DescribeComputeUnits")).status).toBe(200);
  });
});

describe("targeted faults", () => {
  it("answers the given status to the next matching requests only, after skipping some", async () => {
    emulator = await startAt({ computeUnits: units(1) });
    emulator.injectFault({
      action: "DescribeComputeUnit",
      kind: "status",
      status: 503,
      code: "ServiceUnavailable",
      times: 2,
      skip: 1,
    });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push((await call(emulator, "DescribeComputeUnits")).status);
      statuses.push((await call(emulator, "DescribeComputeUnit", { instanceId: "unit-0" })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 503, 200, 503, 200, 200]);
    expect(emulator.requestLog.filter((e) => e.fault === "status").map((e) => e.code)).toEqual([
      "ServiceUnavailable",
      "ServiceUnavailable",
    ]);
  });

  it("drops the connection before applying with reset-before", async () => {
    emulator = await startAt({ computeUnits: units(1) });
    emulator.injectFault({ action: "ReleaseComputeUnit", kind: "reset-before", times: 1 });
    await expect(call(emulator, "ReleaseComputeUnit", { instanceId: "unit-0" })).rejects.toThrow();
    expect(statusOf("unit-0")).toBe("Running");
  });

  it("buys, then loses the answer, with reset-after-apply: the purchase exists though the client saw no answer", async () => {
    emulator = await startAt({});
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-after-apply", times: 1 });
    const body = { model: "ernie-speed-8k", billing: { paymentTiming: "Postpaid" }, purchaseCount: 1 };
    await expect(call(emulator, "PurchaseTPMResource", body)).rejects.toThrow();
    const { instances } = await ok(
      emulator,
      "DescribeTPMResource",
      { model: "ernie-speed-8k" },
      DescribeTpmResourceResult,
    );
    expect(instances).toHaveLength(1);
    expect(emulator.requestLog[0]).toMatchObject({
      action: "PurchaseTPMResource",
      status: 0,
      fault: "reset-after-apply",
    });
  });

  it("applies the action and never answers with hang-after-apply", async () => {
    emulator = await startAt({ batchTasks: [task("t-1")] });
    emulator.injectFault({ action: "StopBatchInferenceTask", kind: "hang-after-apply", times: 1 });
    const attempt = call(
      emulator,
      "StopBatchInferenceTask",
      { taskId: "t-1" },
      { signal: AbortSignal.timeout(150) },
    );
    await expect(attempt).rejects.toThrow();
    expect(emulator.state.tasks[0]!.runStatus).toBe("Stopping");
    expect(emulator.requestLog[0]).toMatchObject({ status: 0, fault: "hang-after-apply" });
  });
});
