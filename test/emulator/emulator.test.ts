import { afterEach, describe, expect, it } from "vitest";
import { DEMO_FLEET_PATH } from "../../lib/cli/connect";
import {
  DEMO_CREDENTIALS,
  FleetError,
  loadFleetFile,
  parseFleet,
  type RunningEmulator,
} from "../../lib/emulator";
import {
  BatchTaskSchema,
  ComputeUnitSchema,
  QianfanApiError,
  ServiceSchema,
  signRequest,
  TpmInstanceSchema,
} from "../../lib/qianfan";
import { apiFor, emulatorWith, postpaidUnit, T0, task } from "../support/emulator";

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Sends one request signed with `sign` overrides, bypassing the client. */
async function rawCall(
  e: RunningEmulator,
  action: string,
  body: unknown,
  opts: {
    route?: string;
    secret?: string;
    accessKeyId?: string;
    date?: Date;
    tamper?: (h: Record<string, string>) => void;
  } = {},
) {
  const url = new URL(`${opts.route ?? "/v2/computeunit"}?Action=${action}`, e.url);
  const payload = JSON.stringify(body);
  const date = opts.date ?? new Date();
  const headers: Record<string, string> = {
    host: url.host,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
    "x-bce-date": date.toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
  const { authorization } = signRequest({
    accessKeyId: opts.accessKeyId ?? DEMO_CREDENTIALS.accessKeyId,
    secretAccessKey: opts.secret ?? DEMO_CREDENTIALS.secretAccessKey,
    method: "POST",
    path: url.pathname,
    query: { Action: action },
    headers,
    timestamp: date,
  });
  const { host: _h, ...sent } = headers;
  const all = { ...sent, authorization };
  opts.tamper?.(all);
  const res = await fetch(url, { method: "POST", headers: all, body: payload });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("emulator: authentication", () => {
  it("accepts a correctly signed request", async () => {
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1")] });
    const res = await rawCall(emulator, "DescribeComputeUnits", {});
    expect(res.status).toBe(200);
    expect(res.body.requestId).toEqual(expect.any(String));
  });

  it("refuses a request whose signature was computed with another secret", async () => {
    emulator = await emulatorWith({});
    const res = await rawCall(emulator, "DescribeComputeUnits", {}, { secret: "wrong" });
    expect(res).toMatchObject({ status: 403, body: { code: "SignatureDoesNotMatch" } });
  });

  it("refuses an unknown access key", async () => {
    emulator = await emulatorWith({});
    const res = await rawCall(emulator, "DescribeComputeUnits", {}, { accessKeyId: "nobody" });
    expect(res).toMatchObject({ status: 403, body: { code: "InvalidAccessKeyId" } });
  });

  it("refuses a stale or future timestamp", async () => {
    emulator = await emulatorWith({});
    const stale = await rawCall(
      emulator,
      "DescribeComputeUnits",
      {},
      { date: new Date(Date.now() - 1801_000) },
    );
    const future = await rawCall(
      emulator,
      "DescribeComputeUnits",
      {},
      { date: new Date(Date.now() + 16 * 60_000) },
    );
    expect(stale).toMatchObject({ status: 400, body: { code: "RequestExpired" } });
    expect(future).toMatchObject({ status: 400, body: { code: "RequestExpired" } });
  });

  it("refuses a request with no Authorization, and one whose signed header was changed", async () => {
    emulator = await emulatorWith({});
    const none = await rawCall(
      emulator,
      "DescribeComputeUnits",
      {},
      { tamper: (h) => delete h.authorization },
    );
    const changed = await rawCall(
      emulator,
      "DescribeComputeUnits",
      {},
      {
        tamper: (h) => {
          h["x-bce-date"] = "2026-01-01T00:00:00Z";
        },
      },
    );
    expect(none).toMatchObject({ status: 403, body: { code: "AccessDenied" } });
    expect(changed).toMatchObject({ status: 403, body: { code: "SignatureDoesNotMatch" } });
  });

  it("logs no key secret and no Authorization header", async () => {
    emulator = await emulatorWith({});
    await rawCall(emulator, "DescribeComputeUnits", {});
    const log = JSON.stringify(emulator.requestLog);
    expect(log).not.toContain(DEMO_CREDENTIALS.secretAccessKey);
    expect(log).not.toContain("bce-auth-v1");
  });
});

describe("emulator: request validation", () => {
  it.each([
    ["ReleaseComputeUnit", "/v2/computeunit", {}, "MissingParameter", "instanceId"],
    ["DescribeComputeUnits", "/v2/computeunit", { region: "sh" }, "InvalidParameter", "region"],
    [
      "PurchaseTPMResource",
      "/v2/charge",
      { model: "gpt-5", billing: { paymentTiming: "Postpaid" }, purchaseCount: 1 },
      "InvalidParameter",
      "model",
    ],
    [
      "PurchaseTPMResource",
      "/v2/charge",
      {
        model: "ernie-3.5-8k",
        billing: { paymentTiming: "Postpaid", releaseTime: "tomorrow" },
        purchaseCount: 1,
      },
      "InvalidParameter",
      "billing.releaseTime",
    ],
    ["DescribeBatchInferenceTasks", "/v2/batchinference", { maxKeys: 101 }, "InvalidParameter", "maxKeys"],
    [
      "ScaleService",
      "/v2/service",
      { serviceId: "s", instanceId: "u", deploymentReplicasCount: -1 },
      "InvalidParameter",
      "deploymentReplicasCount",
    ],
  ])("%s with %j answers %s naming the field", async (action, route, body, code, field) => {
    emulator = await emulatorWith({});
    const res = await rawCall(emulator, action, body, { route });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(code);
    expect(String(res.body.message)).toContain(field);
  });

  it("answers an unknown action and a wrong route", async () => {
    emulator = await emulatorWith({});
    expect((await rawCall(emulator, "DeleteEverything", {})).body.code).toBe("InvalidAction");
    expect((await rawCall(emulator, "ScaleService", {}, { route: "/v2/computeunit" })).status).toBe(404);
  });
});

describe("emulator: state changes", () => {
  it("releases a postpaid unit through Releasing to Released as the clock moves", async () => {
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1")] });
    const api = apiFor(emulator);
    await api.releaseComputeUnit("unit-1");
    expect((await api.describeComputeUnit("unit-1")).unit.status).toBe("Releasing");
    emulator.clock.advance(3000);
    expect((await api.describeComputeUnit("unit-1")).unit.status).toBe("Released");
  });

  it("refuses to release a prepaid unit, and a unit already releasing", async () => {
    emulator = await emulatorWith({
      computeUnits: [
        postpaidUnit("unit-pre", { paymentTiming: "Prepaid", expiredTime: "2026-12-20T00:00:00Z" }),
        postpaidUnit("unit-1", { status: "Releasing" }),
      ],
    });
    expect((await rawCall(emulator, "ReleaseComputeUnit", { instanceId: "unit-pre" })).body.code).toBe(
      "OperationNotAllowed",
    );
    expect((await rawCall(emulator, "ReleaseComputeUnit", { instanceId: "unit-1" })).body.code).toBe(
      "InvalidInstanceStatus",
    );
    expect((await rawCall(emulator, "ReleaseComputeUnit", { instanceId: "unit-x" })).status).toBe(404);
  });

  it("releases a postpaid unit by itself once its auto-release time passes", async () => {
    emulator = await emulatorWith({
      computeUnits: [postpaidUnit("unit-1", { releaseTime: "2026-11-23T03:00:00Z" })],
    });
    const api = apiFor(emulator);
    expect((await api.describeComputeUnit("unit-1")).unit.status).toBe("Running");
    emulator.clock.set(new Date("2026-11-23T03:00:01Z"));
    expect((await api.describeComputeUnit("unit-1")).unit.status).toBe("Releasing");
  });

  it("scales a service, changing replicas and the unit's used compute units, and refuses too few free units", async () => {
    emulator = await emulatorWith({
      computeUnits: [postpaidUnit("unit-1", { totalComputeUnits: 8, usedComputeUnits: 5 })],
      services: [
        {
          serviceId: "svc-1",
          name: "chat",
          createTime: "2026-11-01T00:00:00Z",
          deployments: [{ instanceId: "unit-1", replicas: 2, computeUnitsPerReplica: 2 }],
        },
      ],
    });
    const api = apiFor(emulator);
    await api.scaleService("svc-1", "unit-1", 3);
    let described = await api.describeComputeUnit("unit-1");
    expect(described.unit.usedComputeUnits).toBe(7);
    expect(described.serviceUsage).toEqual([
      { serviceId: "svc-1", name: "chat", deploymentReplicasCount: 3, usedComputeUnits: 6 },
    ]);
    const error = await api.scaleService("svc-1", "unit-1", 4).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error.code).toBe("InsufficientComputeUnits");
    await api.scaleService("svc-1", "unit-1", 0);
    described = await api.describeComputeUnit("unit-1");
    expect(described.unit.usedComputeUnits).toBe(1);
    expect(described.serviceUsage).toEqual([]);
    const service = await api.describeService("svc-1");
    expect(service).toMatchObject({ runStatus: "Stopped", resourceConfig: { replicasCount: 0 } });
    expect(ServiceSchema.safeParse(service).success).toBe(true);
  });

  it("runs, finishes and stops batch tasks", async () => {
    emulator = await emulatorWith({
      batchTasks: [
        task("t-run", { startTime: "2026-11-23T01:00:00Z", durationSeconds: 7200 }),
        task("t-queue", {
          runStatus: "Queuing",
          createTime: "2026-11-23T01:55:00Z",
          queueSeconds: 600,
          durationSeconds: 3600,
        }),
        task("t-stop"),
      ],
    });
    const api = apiFor(emulator);
    await api.stopBatchTask("t-stop");
    expect((await api.describeBatchTask("t-stop")).runStatus).toBe("Stopping");
    emulator.clock.set(new Date("2026-11-23T02:06:00Z"));
    expect((await api.describeBatchTask("t-stop")).runStatus).toBe("Stopped");
    expect((await api.describeBatchTask("t-queue")).runStatus).toBe("Running");
    emulator.clock.set(new Date("2026-11-23T03:00:00Z"));
    expect(await api.describeBatchTask("t-run")).toMatchObject({
      runStatus: "Done",
      finishTime: "2026-11-23T03:00:00Z",
    });
    expect(
      (
        await rawCall(
          emulator,
          "StopBatchInferenceTask",
          { taskId: "t-run" },
          { route: "/v2/batchinference" },
        )
      ).body.code,
    ).toBe("InvalidTaskStatus");
  });

  it("lets TPM quota bought with a release time disappear after it", async () => {
    emulator = await emulatorWith({});
    const api = apiFor(emulator);
    const { instanceId } = await api.purchaseTpm({
      model: "ernie-3.5-8k",
      purchaseCount: 2,
      releaseTime: "2026-11-23 12:00:00",
    });
    let listed = await api.describeTpmResources("ernie-3.5-8k");
    expect(listed).toEqual([expect.objectContaining({ instanceId, status: "Creating", purchaseCount: 2 })]);
    emulator.clock.set(new Date("2026-11-23T03:00:00Z"));
    listed = await api.describeTpmResources("ernie-3.5-8k");
    expect(listed[0]!.status).toBe("Running");
    expect(TpmInstanceSchema.safeParse(listed[0]).success).toBe(true);
    emulator.clock.set(new Date("2026-11-23T04:00:00Z"));
    expect(await api.describeTpmResources("ernie-3.5-8k")).toEqual([]);
  });

  it("pages more than 300 tasks with marker and maxKeys", async () => {
    const tasks = Array.from({ length: 321 }, (_, i) => task(`t-${String(i).padStart(3, "0")}`));
    emulator = await emulatorWith({ batchTasks: tasks });
    const api = apiFor(emulator);
    const listed = await api.describeBatchTasks({ runStatus: ["Running"] });
    expect(listed.map((t) => t.taskId)).toEqual(tasks.map((t) => t.taskId));
    expect(emulator.requestLog.filter((e) => e.action === "DescribeBatchInferenceTasks")).toHaveLength(4);
    expect(listed.every((t) => BatchTaskSchema.safeParse(t).success)).toBe(true);
  });
});

describe("emulator: fleets", () => {
  it("loads the demo fleet, whose units all parse with the client's schema", async () => {
    const fleet = await loadFleetFile(DEMO_FLEET_PATH);
    emulator = await emulatorWith(fleet);
    const units = await apiFor(emulator).describeComputeUnits();
    expect(units.length).toBeGreaterThanOrEqual(10);
    expect(units.every((u) => ComputeUnitSchema.safeParse(u).success)).toBe(true);
    expect(new Set(units.map((u) => u.paymentTiming))).toEqual(new Set(["Prepaid", "Postpaid"]));
  });

  it("resolves relative fleet times against the clock", async () => {
    emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-1", { startTime: "-1d2h" })] });
    const [unit] = await apiFor(emulator).describeComputeUnits();
    expect(unit!.startTime).toBe(new Date(T0.getTime() - 26 * 3_600_000).toISOString().replace(".000", ""));
  });

  it("names the file and the JSON path of a bad fleet entry", async () => {
    expect(() =>
      parseFleet({ computeUnits: [postpaidUnit("u", { paymentTiming: "Monthly" })] }, "f.json"),
    ).toThrow(/^f\.json: computeUnits\.0\.paymentTiming: /);
    expect(() =>
      parseFleet(
        {
          computeUnits: [postpaidUnit("u")],
          services: [
            {
              serviceId: "s",
              name: "s",
              createTime: "now",
              deployments: [{ instanceId: "nope", replicas: 1 }],
            },
          ],
        },
        "f.json",
      ),
    ).toThrow("f.json: services.0.deployments.0.instanceId: no compute unit nope");
    await expect(loadFleetFile("missing.json")).rejects.toBeInstanceOf(FleetError);
  });
});
