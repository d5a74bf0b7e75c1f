import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import type { RunningEmulator } from "../../lib/emulator";
import { isMutatingAction, isQianfanError, QianfanApi } from "../../lib/qianfan";
import { capture } from "../support/cli";
import { emulatorWith, postpaidUnit, T0, task } from "../support/emulator";
import { clientOver, fakeFetch } from "../support/fake-fetch";
import { type TempConfig, tempConfig } from "../support/temp-config";
import { fuzz } from "./runs";

let emulator: RunningEmulator;
let setup: TempConfig;
beforeAll(async () => {
  emulator = await emulatorWith({
    computeUnits: [postpaidUnit("unit-a", { releaseTime: "2026-11-22T00:00:00Z", autoReleaseSkipped: true })],
    batchTasks: [task("task-a", { createTime: "2026-11-20T00:00:00Z" })],
  });
  // The smallest config: reading it is most of what a parsed command costs.
  setup = await tempConfig("fuzz-cli", ["version: 1", "state: { kind: file, path: state.json }"]);
});
afterAll(async () => {
  await emulator.close();
  await setup.remove();
});

// Servers (`offline`, `emulator`), chat (`chat` sends to a webhook) and --apply are left out: the
// property is that nothing else the command line takes ever acts. --base-url and --state are left
// out too: a random one would reach another machine or write a random path.
const command = fc.constantFrom(
  "run",
  "plan",
  "snooze",
  "unsnooze",
  "force-up",
  "snoozes",
  "history",
  "schedule",
  "validate",
  "units",
  "services",
  "tasks",
  "tpm",
  "help",
  "--help",
  "runn",
  "",
);
const flag = fc.constantFrom(
  "--dry-run",
  "--json",
  "--now",
  "--simulate",
  "--only",
  "--limit",
  "--job",
  "--reason",
  "--status",
  "--name",
  "--model",
  "--zone",
  "--fleet",
  "--",
  "-h",
  "-x",
  "--dry-run=yes",
  "--now=",
);
const value = fc.oneof(
  fc.constantFrom(
    "all",
    "release-units",
    "tpm-windows",
    "explain",
    "unit-a",
    "3d",
    "0s",
    "-1h",
    "99999d",
    "__proto__",
  ),
  fc.constantFrom(
    T0.toISOString(),
    "2026-13-45T99:00:00Z",
    "yesterday",
    "Mon-Fri 09:00-18:00",
    "Asia/Shanghai",
  ),
  fc.string({ maxLength: 16 }),
);
const argv = fc
  .tuple(command, fc.array(fc.oneof(flag, value), { maxLength: 6 }))
  .map(([c, rest]) => [c, ...rest]);

describe("fuzzing the command line and the API answers: no crash, no hang, no action", () => {
  it("qfhk takes any arguments: an exit code, a message on failure, no stack trace, no mutating request", async () => {
    const env = { QIANFAN_CONSOLE_API_BASE_URL: emulator.url, QFHK_CONFIG: setup.config };
    await fc.assert(
      fc.asyncProperty(argv, async (args) => {
        const { io, out, err } = capture();
        const code = await main(args, io, env, () => T0);
        expect([0, 1, 2, 3]).toContain(code);
        if (code !== 0 && code !== 3) expect(err.join("").length + out.join("").length).toBeGreaterThan(0);
        expect(err.join("\n")).not.toMatch(/\n\s+at .+:\d+:\d+/);
      }),
      { ...fuzz(), timeout: 20_000 },
    );
    expect(emulator.requestLog.filter((e) => isMutatingAction(e.action))).toEqual([]);
  });

  // Items shaped like the listings' own, with any field given any value or left out.
  const FIELDS = [
    "instanceId",
    "serviceId",
    "taskId",
    "paymentTiming",
    "status",
    "runStatus",
    "totalComputeUnits",
    "usedComputeUnits",
    "startTime",
    "createTime",
    "updateTime",
    "releaseTime",
    "expiredTime",
    "finishTime",
    "replicasCount",
    "serviceUsageList",
    "resourceConfig",
    "purchaseCount",
    "model",
    "name",
  ];
  const oddField = fc.oneof(
    fc.jsonValue({ maxDepth: 1 }),
    fc.constantFrom(
      "Postpaid",
      "Prepaid",
      "Running",
      "Releasing",
      "0000-00-00 00:00:00",
      "2026-11-20T00:00:00Z",
      "-",
    ),
    fc.integer({ min: -2, max: 16 }),
  );
  const item = fc.dictionary(fc.constantFrom(...FIELDS), oddField, { maxKeys: 12 });
  const page = fc.record(
    {
      computeUnitInstanceList: fc.array(item, { maxLength: 4 }),
      instances: fc.array(item, { maxLength: 4 }),
      instance: item,
      services: fc.array(item, { maxLength: 4 }),
      serviceList: fc.array(item, { maxLength: 4 }),
      taskList: fc.array(item, { maxLength: 4 }),
      pageInfo: fc.record(
        {
          isTruncated: fc.oneof(fc.boolean(), fc.jsonValue()),
          nextMarker: fc.oneof(fc.string(), fc.jsonValue()),
        },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );
  const answer = fc.oneof(
    page.map((result) => ({ status: 200, body: { requestId: "r-1", result } })),
    fc.jsonValue({ maxDepth: 3 }).map((body) => ({ status: 200, body })),
    fc.constantFrom(400, 404, 500).map((status) => ({ status, body: { code: "X", message: "no" } })),
  );
  const READERS: Array<[string, (api: QianfanApi) => Promise<unknown>]> = [
    ["DescribeComputeUnits", (api) => api.describeComputeUnitsChecked()],
    ["DescribeComputeUnit", (api) => api.describeComputeUnit("unit-a")],
    ["DescribeComputeUnits", (api) => api.describeServiceUnits("svc-a")],
    ["DescribeServices", (api) => api.describeServices()],
    ["DescribeService", (api) => api.describeService("svc-a")],
    ["DescribeTPMResource", (api) => api.describeTpmResourcesChecked("ernie-speed-8k")],
    ["DescribeBatchInferenceTasks", (api) => api.describeBatchTasksChecked()],
    ["DescribeBatchInferenceTask", (api) => api.describeBatchTask("task-a")],
  ];

  it("every reader the jobs use takes any answer: items or a QianfanError naming the action, never a mutating call", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...READERS),
        fc.array(answer, { minLength: 1, maxLength: 3 }),
        async ([name, read], answers) => {
          const fake = fakeFetch((_req, i) => answers[Math.min(i, answers.length - 1)]!);
          const api = new QianfanApi(
            clientOver(fake.fetch, {
              retry: { retries: 0 },
              pacing: { requestsPerSecond: 1e9, concurrency: 8 },
            }),
            { maxPages: 3 },
          );
          const outcome = await read(api).then(
            () => undefined,
            (error: unknown) => error,
          );
          if (outcome !== undefined) {
            expect(isQianfanError(outcome), String(outcome)).toBe(true);
            expect((outcome as Error).message).toContain(name);
          }
          for (const request of fake.requests)
            expect(isMutatingAction(request.url.searchParams.get("Action")!)).toBe(false);
        },
      ),
      fuzz(),
    );
  });
});
