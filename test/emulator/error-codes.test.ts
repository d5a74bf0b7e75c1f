import { afterEach, describe, expect, it } from "vitest";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { ERROR_CODES, isEmulatorCode } from "../../lib/emulator/errors";
import { QianfanApiError, QianfanClient, staticCredentials } from "../../lib/qianfan";
import { DescribeComputeUnitsResult } from "../../lib/qianfan/schemas";
import { call, service, startAt, task, unit } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

/** The codes of every answer in the log that was an error the client saw (not a reset or a hang). */
const answeredCodes = () =>
  emulator.requestLog
    .filter((e) => e.status >= 400 || (e.status === 200 && e.code))
    .map((e) => ({ code: e.code!, status: e.status }));

const fleet = {
  computeUnits: [
    unit("unit-1", { totalComputeUnits: 4, usedComputeUnits: 2 }),
    unit("unit-pre", { paymentTiming: "Prepaid", expiredTime: "2026-12-20T00:00:00Z" }),
    unit("unit-gone", { status: "Released" }),
  ],
  services: [service("svc-1", [{ instanceId: "unit-1", replicas: 1, computeUnitsPerReplica: 2 }])],
  batchTasks: [task("t-done", { runStatus: "Done" })],
};

/** One request for each way the emulator refuses a well-formed, authenticated request. */
const refusals: [string, string, unknown][] = [
  ["a missing required field", "ReleaseComputeUnit", {}],
  ["a value of the wrong type", "ReleaseComputeUnit", { instanceId: 7 }],
  ["a prepaid unit", "ReleaseComputeUnit", { instanceId: "unit-pre" }],
  ["a unit that is not Running", "ReleaseComputeUnit", { instanceId: "unit-gone" }],
  ["a task that is not Running", "StopBatchInferenceTask", { taskId: "t-done" }],
  ["a marker that names no item", "DescribeServices", { marker: "svc-x" }],
  [
    "not enough free compute units",
    "ScaleService",
    { serviceId: "svc-1", instanceId: "unit-1", deploymentReplicasCount: 3 },
  ],
];

describe("the emulator's error codes", () => {
  it.each(refusals)("answers %s with the documented 400 InappropriateJSON", async (_, action, body) => {
    emulator = await startAt(fleet);
    const answer = await call(emulator, action, body);
    expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
    expect(ERROR_CODES.InappropriateJSON.source).toHaveProperty("documented");
  });

  it("answers only codes of its table, each with the table's status", async () => {
    emulator = await startAt(fleet, { faults: { qps: 1000 } });
    for (const [, action, body] of refusals) await call(emulator, action, body);
    await call(emulator, "ReleaseComputeUnit", { instanceId: "unit-x" });
    await call(emulator, "DescribeComputeUnits", {}, { rawBody: "{" });
    await call(emulator, "DescribeComputeUnits", {}, { secret: "wrong" });
    await call(emulator, "DescribeComputeUnits", {}, { accessKeyId: "ak-unknown" });
    await call(emulator, "DescribeComputeUnits", {}, { route: "/v2/nothing" });
    await call(emulator, "DescribeComputeUnits", {}, { method: "GET" });
    await call(emulator, "NoSuchAction", {});
    emulator.setFaults({ qps: 1 });
    await Promise.all([call(emulator, "DescribeComputeUnits"), call(emulator, "DescribeComputeUnits")]);

    const answered = answeredCodes();
    expect(answered.length).toBeGreaterThanOrEqual(refusals.length + 8);
    for (const { code, status } of answered) {
      expect(isEmulatorCode(code), `${code} is in ERROR_CODES`).toBe(true);
      expect(status, code).toBe(ERROR_CODES[code as keyof typeof ERROR_CODES].status);
    }
    expect(answered.map((a) => a.code)).toContain("18");
    expect(answered.map((a) => a.code)).not.toContain("RequestLimitExceeded");
  });

  it("marks every code either documented, with its source, or invented", () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      const source = entry.source as { documented?: string; invented?: string };
      expect(Boolean(source.documented) !== Boolean(source.invented), code).toBe(true);
    }
    expect(ERROR_CODES["18"].source).toHaveProperty("documented");
    expect(ERROR_CODES.InstanceNotFound.source).toHaveProperty("invented");
  });
});

describe("the client against the emulator's Qianfan-style answers", () => {
  const clientFor = () =>
    new QianfanClient({
      credentials: staticCredentials(DEMO_CREDENTIALS),
      baseUrl: emulator.url,
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 5, maxRetryTimeMs: 5_000 },
    });

  it("retries code 18 sent in an HTTP 200 and then gets the result", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    emulator.injectFault({
      action: "DescribeComputeUnits",
      kind: "status",
      status: 200,
      code: "18",
      times: 1,
    });
    const { result, attempts } = await clientFor().call(
      "DescribeComputeUnits",
      {},
      DescribeComputeUnitsResult,
    );
    expect(attempts).toBe(2);
    expect(result.computeUnitInstanceList.map((u) => u.instanceId)).toEqual(["unit-1"]);
  });

  it("does not retry code 17 sent in an HTTP 200, and says the daily quota is used up", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    emulator.injectFault({
      action: "DescribeComputeUnits",
      kind: "status",
      status: 200,
      code: "17",
      times: 1,
    });
    const error = await clientFor()
      .call("DescribeComputeUnits", {}, DescribeComputeUnitsResult)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error).toMatchObject({ code: "17", status: 200, quotaExhausted: "daily", retryable: false });
    expect((error as QianfanApiError).requestId).toBe(emulator.requestLog[0]!.requestId);
    expect((error as Error).message).toContain("daily API request quota is used up (code 17)");
    expect(emulator.requestLog).toHaveLength(1);
  });
});
