import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import { ACTIONS, type ActionName } from "../../lib/qianfan/actions";
import { call, service, startAt, task, unit } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A valid body for every action, against the fleet below. */
const VALID: Record<ActionName, unknown> = {
  DescribeComputeUnits: {},
  DescribeComputeUnit: { instanceId: "unit-1" },
  ReleaseComputeUnit: { instanceId: "unit-1" },
  AutoReleaseComputeUnit: { instanceId: "unit-2" },
  PurchaseComputeUnit: {
    computeUnitCount: 2,
    billing: { paymentTiming: "Postpaid" },
    computeUnitConfig: { region: "bj", type: "gpu-1" },
  },
  "/v2/serviceresources?Action=DescribeComputeUnits": { serviceId: "svc-1" },
  "/v2/serviceresources?Action=DescribeComputeUnit": { serviceId: "svc-1", instanceId: "unit-2" },
  DescribeServices: {},
  DescribeService: { serviceId: "svc-1" },
  ScaleService: { serviceId: "svc-1", instanceId: "unit-2", deploymentReplicasCount: 1 },
  PurchaseTPMResource: { model: "ernie-speed-8k", billing: { paymentTiming: "Postpaid" }, purchaseCount: 1 },
  DescribeTPMResource: { model: "ernie-speed-8k" },
  ReleaseTPMResource: { model: "ernie-speed-8k", instanceId: "tpm-1" },
  DescribeBatchInferenceTasks: {},
  DescribeBatchInferenceTask: { taskId: "t-1" },
  StopBatchInferenceTask: { taskId: "t-1" },
};

const fleet = {
  computeUnits: [unit("unit-1"), unit("unit-2", { usedComputeUnits: 2 })],
  services: [service("svc-1", [{ instanceId: "unit-2", replicas: 2 }])],
  tpmResources: [{ instanceId: "tpm-1", model: "ernie-speed-8k" as const, startTime: "-1h" }],
  batchTasks: [task("t-1")],
};

describe("routes and answers", () => {
  it.each(Object.keys(ACTIONS) as ActionName[])(
    "serves %s at its route with 200 {requestId, result}",
    async (action) => {
      emulator = await startAt(fleet);
      const answer = await call(emulator, action, VALID[action]);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      expect(answer.body.requestId).toMatch(UUID);
      expect(answer.headers.get("x-bce-request-id")).toBe(answer.body.requestId);
      expect(answer.body.result).toBeDefined();
    },
  );

  it("gives every request its own request id, in the body, the header and the log", async () => {
    emulator = await startAt({});
    const a = await call(emulator, "DescribeComputeUnits");
    const b = await call(emulator, "ReleaseComputeUnit", { instanceId: "unit-x" });
    expect(a.body.requestId).not.toBe(b.body.requestId);
    expect(b.headers.get("x-bce-request-id")).toBe(b.body.requestId);
    expect(emulator.requestLog.map((e) => e.requestId)).toEqual([a.body.requestId, b.body.requestId]);
  });

  it("answers an unknown Action with 400 InvalidAction", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "DeleteEverything", {}, { route: "/v2/computeunit" });
    expect(answer).toMatchObject({ status: 400, body: { code: "InvalidAction" } });
    expect(answer.body.message).toContain("DeleteEverything");
  });

  it("answers an Action sent to another action's route with 400 InvalidAction naming its route", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "ScaleService", {}, { route: "/v2/computeunit" });
    expect(answer).toMatchObject({ status: 400, body: { code: "InvalidAction" } });
    expect(answer.body.message).toContain("/v2/service");
  });

  it("answers an unknown route with 404 and a method other than POST with 405", async () => {
    emulator = await startAt({});
    const route = await call(emulator, "DescribeComputeUnits", {}, { route: "/v2/nothing" });
    const method = await call(emulator, "DescribeComputeUnits", {}, { method: "GET" });
    expect(route).toMatchObject({ status: 404, body: { code: "NotFound" } });
    expect(method).toMatchObject({ status: 405, body: { code: "MethodNotAllowed" } });
    expect(method.headers.get("allow")).toBe("POST");
  });

  it("answers a body that is not JSON with 400 MalformedJSON", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "DescribeComputeUnits", {}, { rawBody: "{region:" });
    expect(answer).toMatchObject({ status: 400, body: { code: "MalformedJSON" } });
  });
});

describe("request validation", () => {
  it.each([
    ["ReleaseComputeUnit", {}, "missing", "instanceId"],
    ["ReleaseComputeUnit", { instanceId: 7 }, "invalid", "instanceId"],
    ["DescribeComputeUnits", { region: "sz" }, "invalid", "region"],
    ["DescribeComputeUnits", { paymentTiming: "Monthly" }, "invalid", "paymentTiming"],
    ["DescribeComputeUnits", { type: "gpu-7" }, "invalid", "type"],
    ["AutoReleaseComputeUnit", { instanceId: "unit-1", releaseTime: "tomorrow" }, "invalid", "releaseTime"],
    [
      "PurchaseComputeUnit",
      { computeUnitCount: 2, billing: { paymentTiming: "Postpaid" } },
      "missing",
      "computeUnitConfig",
    ],
    [
      "PurchaseComputeUnit",
      {
        computeUnitCount: 0,
        billing: { paymentTiming: "Postpaid" },
        computeUnitConfig: { region: "bj", type: "CPU" },
      },
      "invalid",
      "computeUnitCount",
    ],
    ["DescribeServices", { runStatus: "Serving" }, "invalid", "runStatus"],
    ["DescribeServices", { runStatus: ["Sleeping"] }, "invalid", "runStatus.0"],
    ["DescribeServices", { maxKeys: 0 }, "invalid", "maxKeys"],
    ["ScaleService", { serviceId: "s", instanceId: "u" }, "missing", "deploymentReplicasCount"],
    [
      "ScaleService",
      { serviceId: "s", instanceId: "u", deploymentReplicasCount: -1 },
      "invalid",
      "deploymentReplicasCount",
    ],
    [
      "ScaleService",
      { serviceId: "s", instanceId: "u", deploymentReplicasCount: 1.5 },
      "invalid",
      "deploymentReplicasCount",
    ],
    [
      "PurchaseTPMResource",
      { model: "gpt-5", billing: { paymentTiming: "Postpaid" }, purchaseCount: 1 },
      "invalid",
      "model",
    ],
    [
      "PurchaseTPMResource",
      { model: "ernie-speed-8k", billing: { paymentTiming: "Prepaid" }, purchaseCount: 1 },
      "invalid",
      "billing.paymentTiming",
    ],
    [
      "PurchaseTPMResource",
      {
        model: "ernie-speed-8k",
        billing: { paymentTiming: "Postpaid", releaseTime: "2026-11-23T25:00:00Z" },
        purchaseCount: 1,
      },
      "invalid",
      "billing.releaseTime",
    ],
    ["DescribeTPMResource", {}, "missing", "model"],
    ["DescribeTPMResource", { model: "ernie-speed-8k", status: "Gone" }, "invalid", "status"],
    ["DescribeBatchInferenceTasks", { maxKeys: 101 }, "invalid", "maxKeys"],
    ["DescribeBatchInferenceTasks", { maxKeys: "10" }, "invalid", "maxKeys"],
    ["DescribeBatchInferenceTasks", { runStatus: ["Paused"] }, "invalid", "runStatus.0"],
    ["StopBatchInferenceTask", { taskId: "" }, "invalid", "taskId"],
    ["DescribeComputeUnits", [], "invalid", "body"],
  ])("answers %s with %j (%s) with 400 InappropriateJSON naming %s", async (action, body, problem, field) => {
    emulator = await startAt({});
    const answer = await call(emulator, action, body);
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe("InappropriateJSON");
    expect(answer.body.message).toMatch(new RegExp(`^${field.replace(".", "\\.")}: `));
    if (problem === "missing") expect(answer.body.message).toContain("is required but missing");
  });

  it("changes nothing when a request is refused", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    await call(emulator, "PurchaseComputeUnit", {
      computeUnitCount: 0,
      billing: { paymentTiming: "Postpaid" },
      computeUnitConfig: { region: "bj", type: "CPU" },
    });
    expect(emulator.state.units.map((u) => u.instanceId)).toEqual(["unit-1"]);
  });
});
