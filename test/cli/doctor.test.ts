import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import { type DoctorReport, ResponseDates, runDoctor } from "../../lib/doctor";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import {
  ACTIONS,
  findAction,
  isMutatingAction,
  QianfanApi,
  SERVICE_UNITS_ACTION,
  staticCredentials,
} from "../../lib/qianfan";
import { capture } from "../support/cli";
import { emulatorWith, postpaidUnit, T0, task } from "../support/emulator";
import { type Answer, clientOver, fakeFetch } from "../support/fake-fetch";

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

const fleet = {
  computeUnits: [
    postpaidUnit("unit-a", { totalComputeUnits: 8, usedComputeUnits: 4 }),
    postpaidUnit("unit-b", { totalComputeUnits: 4, usedComputeUnits: 0 }),
  ],
  services: [
    {
      serviceId: "svc-chat",
      name: "chat",
      createTime: "2026-11-01T00:00:00Z",
      deployments: [{ instanceId: "unit-a", replicas: 2, computeUnitsPerReplica: 2 }],
    },
    { serviceId: "svc-rag", name: "rag", createTime: "2026-11-01T00:00:00Z", protocolVersion: 2 as const },
  ],
  tpmResources: [{ instanceId: "tpm-1", model: "ernie-speed-8k" as const, startTime: "-1h" }],
  batchTasks: [task("t-1"), task("t-2", { runStatus: "Done" as const })],
};

async function doctor(url: string, args: string[] = []) {
  const { io, out, err } = capture();
  const code = await main(
    ["doctor", "--json", "--model", "ernie-speed-8k", ...args],
    io,
    {
      QIANFAN_CONSOLE_API_BASE_URL: url,
    },
    () => T0,
  );
  return { code, report: JSON.parse(out.join("")) as DoctorReport, err: err.join("") };
}

const statusOf = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)?.status;

describe("qfhk doctor on the emulator", () => {
  it("passes every check it can make and changes nothing", async () => {
    emulator = await emulatorWith(fleet);
    const { code, report } = await doctor(emulator.url);
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(code).toBe(0);
    for (const id of [
      "signature",
      "clock",
      "unit-fields",
      "service-list-shape",
      "service-protocol-versions",
      "paging-markers",
      "service-resources-shape",
      "service-usage-list",
      "tpm-fields",
      "task-fields",
    ]) {
      expect(statusOf(report, id), id).toBe("pass");
    }
    // Every listing action was tried and allowed; every changing one is named with its policy.
    for (const [key, spec] of Object.entries(ACTIONS)) {
      const check = report.checks.find((c) => c.id === key)!;
      if (spec.mutating) {
        expect(check.status).toBe("info");
        expect(check.detail).toContain("QianfanServiceOperateAccessPolicy or QianfanFullControlAccessPolicy");
      } else expect(check, key).toMatchObject({ status: "pass", detail: "allowed" });
    }
    const sent = emulator.requestLog.map((e) => findAction(e.route, e.action) ?? e.action);
    expect(sent.filter((a) => isMutatingAction(a))).toEqual([]);
    expect(emulator.state.services[0]!.deployments[0]!.replicas).toBe(2);
  });

  it("reports the assumption a missing field breaks, and exits 1", async () => {
    emulator = await emulatorWith(fleet, {
      dropFields: [{ action: SERVICE_UNITS_ACTION, field: "replicasCount" }],
    });
    const { code, report } = await doctor(emulator.url);
    expect(code).toBe(1);
    const failed = report.checks.filter((c) => c.status === "fail");
    expect(failed.map((c) => c.id)).toEqual(["service-resources-shape"]);
    expect(failed[0]!.detail).toContain("replicasCount");
    expect(failed[0]!.detail).toContain("not scaled");
  });

  it("prints the checks for people, grouped, with the totals last", async () => {
    emulator = await emulatorWith(fleet, { dropFields: [{ field: "paymentTiming" }] });
    const { io, out } = capture();
    const code = await main(
      ["doctor", "--model", "ernie-speed-8k"],
      io,
      { QIANFAN_CONSOLE_API_BASE_URL: emulator.url },
      () => T0,
    );
    const text = out.join("\n");
    expect(code).toBe(1);
    expect(text).toContain("Keys and clock");
    expect(text).toContain("Permissions (listing calls only; nothing is changed)");
    expect(text).toMatch(
      /FAIL {2}unit-fields: did not hold: 2 units lack what the jobs read — unit unit-a: paymentTiming/,
    );
    expect(text).toContain("assumed: DescribeComputeUnits lists each unit with");
    expect(text.split("\n").at(-1)).toMatch(
      /^\d+ passed, [1-9]\d* failed, \d+ warnings?, \d+ not checked — fix what failed/,
    );
  });

  it("stops at a wrong secret, saying which half of the key pair is wrong", async () => {
    emulator = await emulatorWith(fleet);
    const { io, out } = capture();
    const code = await main(
      ["doctor", "--json"],
      io,
      {
        QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
        QIANFAN_ACCESS_KEY: DEMO_CREDENTIALS.accessKeyId,
        QIANFAN_SECRET_KEY: "not-the-secret-at-all",
      },
      () => T0,
    );
    const report = JSON.parse(out.join("")) as DoctorReport;
    expect(code).toBe(1);
    expect(report.checks.find((c) => c.id === "signature")).toMatchObject({ status: "fail" });
    expect(report.checks.find((c) => c.id === "signature")!.detail).toContain("the secret key is wrong");
    expect(out.join("")).not.toContain("not-the-secret-at-all");
    expect(emulator.requestLog).toHaveLength(1);
  });
});

it("refuses a --model that is no model id, before any call", async () => {
  const { io, err } = capture();
  expect(
    await main(["doctor", "--model", "ernie speed; rm -rf"], io, {
      QIANFAN_CONSOLE_API_BASE_URL: "http://127.0.0.1:1",
    }),
  ).toBe(2);
  expect(err.join("")).toContain("--model 'ernie speed; rm -rf': a model id such as ernie-speed-8k");
});

describe("doctor against recorded answers shaped as Baidu's pages show them", () => {
  /** A unit as the "查询算力单元详情" page lists its fields. */
  const documentedUnit = {
    instanceId: "cu-a",
    region: "bj",
    status: "Running",
    type: "gpu-2",
    totalComputeUnits: 8,
    usedComputeUnits: 4,
    paymentTiming: "Postpaid",
    startTime: "2026-11-01T10:00:00+08:00",
    creator: "ops",
  };
  const documented: Record<string, unknown> = {
    DescribeComputeUnits: {
      computeUnitInstanceList: [{ ...documentedUnit, expiredTime: "-" }],
    },
    DescribeServices: {
      serviceList: [
        {
          serviceId: "svco-1",
          name: "chat",
          runStatus: "Serving",
          chargeType: "ComputingUnit",
          payType: "Postpay",
        },
        { serviceId: "svco-2", name: "rag", runStatus: "Stopped" },
      ],
      pageInfo: { marker: "", maxKeys: 100, isTruncated: false },
    },
    [SERVICE_UNITS_ACTION]: {
      instances: [{ instanceId: "cu-a", paymentTiming: "Postpaid", replicasCount: 2, status: "Running" }],
    },
    "/v2/serviceresources?Action=DescribeComputeUnit": {
      instance: { instanceId: "cu-a", paymentTiming: "Postpaid", replicasCount: 2, status: "Running" },
    },
    DescribeComputeUnit: {
      computeUnitInstance: documentedUnit,
      serviceUsageList: [{ serviceId: "svco-1", name: "chat", deploymentReplicasCount: 2 }],
    },
    DescribeService: { serviceId: "svco-1", name: "chat", runStatus: "Serving" },
    DescribeTPMResource: {
      instances: [
        {
          instanceId: "tpm-1",
          paymentTiming: "Postpaid",
          rpm: 33,
          tpm: 10000,
          status: "Running",
          expiredTime: "-",
        },
      ],
    },
    DescribeBatchInferenceTasks: {
      taskList: [
        { taskId: "task-1", name: "nightly", runStatus: "Running", createTime: "2026-11-23T01:00:00Z" },
      ],
      pageInfo: { isTruncated: false },
    },
    DescribeBatchInferenceTask: {
      taskId: "task-1",
      name: "nightly",
      runStatus: "Running",
      createTime: "2026-11-23T01:00:00Z",
    },
  };

  function recorded(
    override: Record<string, (body: Record<string, unknown>) => Answer> = {},
    headers: Record<string, string> = {},
  ) {
    const fake = fakeFetch((request) => {
      const key = findAction(request.url.pathname, request.url.searchParams.get("Action")!)!;
      const answer = override[key]?.(JSON.parse(request.body));
      return answer ?? { status: 200, body: { requestId: `r-${key}`, result: documented[key] }, headers };
    });
    const responses = new ResponseDates();
    const api = new QianfanApi(
      clientOver(fake.fetch, {
        credentials: staticCredentials({ accessKeyId: "AKIDEXAMPLE1234", secretAccessKey: "sk" }),
        retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2, maxRetryTimeMs: 1000 },
        now: () => T0,
        onEvent: responses.record,
      }),
    );
    return runDoctor({
      api,
      target: "recorded",
      emulated: false,
      accessKeyId: "AKIDEXAMPLE1234",
      models: ["ernie-speed-8k"],
      responses,
      now: () => T0,
    });
  }

  /** DescribeServices paged as the SDK's mock server pages: nextMarker is where the next page starts. */
  const pagedServices = (body: Record<string, unknown>): Answer => {
    const all = (documented.DescribeServices as { serviceList: Array<{ serviceId: string }> }).serviceList;
    const listed = body.protocolVersion === 2 ? [] : all;
    const start = body.marker ? listed.findIndex((s) => s.serviceId === body.marker) : 0;
    const size = Number(body.maxKeys ?? 10);
    const next = listed[start + size];
    return {
      status: 200,
      body: {
        requestId: "r-services",
        result: {
          serviceList: listed.slice(start, start + size),
          pageInfo: {
            marker: body.marker ?? "",
            maxKeys: size,
            isTruncated: next !== undefined,
            ...(next ? { nextMarker: next.serviceId } : {}),
          },
        },
      },
    };
  };

  it("holds on the documented shapes, with expiredTime '-' read as no time", async () => {
    const report = await recorded({ DescribeServices: pagedServices });
    expect(report.checks.find((c) => c.id === "paging-markers")).toMatchObject({ status: "pass" });
    expect(report.checks.find((c) => c.id === "paging-markers")!.detail).toContain("starts at the marker");
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(report.checks.find((c) => c.id === "tpm-fields")!.detail).toContain("expiredTime '-'");
    expect(report.checks.find((c) => c.id === "signature")!.detail).toContain("AKID…1234");
    expect(JSON.stringify(report)).not.toContain("AKIDEXAMPLE1234");
    // No startTime on the task: its runtime would include queue time, and the doctor says so.
    expect(report.checks.find((c) => c.id === "task-start-time")).toMatchObject({ status: "warn" });
  });

  it("fails the serviceUsageList assumption when its items carry other names", async () => {
    const report = await recorded({
      DescribeComputeUnit: () => ({
        status: 200,
        body: {
          requestId: "r-cu",
          result: {
            ...(documented.DescribeComputeUnit as object),
            serviceUsageList: [{ id: "svco-1", count: 2 }],
          },
        },
      }),
    });
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.id === "service-usage-list")).toMatchObject({
      status: "fail",
      requestId: "r-cu",
    });
    expect(report.checks.find((c) => c.id === "service-usage-list")!.detail).toContain(
      "fields seen: id, count",
    );
  });

  it("names the policy a denied listing needs", async () => {
    const report = await recorded({
      DescribeTPMResource: () => ({
        status: 403,
        body: { requestId: "r-403", code: "AccessDenied", message: "Access denied." },
      }),
    });
    expect(report.checks.find((c) => c.id === "DescribeTPMResource")).toMatchObject({
      status: "fail",
      requestId: "r-403",
      detail:
        "denied: attach QianfanServiceReadAccessPolicy, QianfanServiceOperateAccessPolicy, QianfanFullControlAccessPolicy (any one) to the key's IAM user",
    });
  });

  it("measures the clock against the platform's Date header", async () => {
    const at = (offsetMs: number) => ({ date: new Date(T0.getTime() + offsetMs).toUTCString() });
    const close = await recorded({}, at(0));
    expect(close.checks.find((c) => c.id === "clock")).toMatchObject({ status: "pass" });
    const behind = await recorded({}, at(2 * 60_000));
    expect(behind.checks.find((c) => c.id === "clock")).toMatchObject({ status: "warn" });
    expect(behind.checks.find((c) => c.id === "clock")!.detail).toContain("120 s behind");
    const far = await recorded({}, at(-20 * 60_000));
    expect(far.checks.find((c) => c.id === "clock")).toMatchObject({ status: "fail" });
  });
});
