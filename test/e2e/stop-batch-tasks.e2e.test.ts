import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { runQfhk } from "../support/cli";
import { emulatorWith, T0, task } from "../support/emulator";
import { type TempConfig, tempConfig } from "../support/temp-config";

const H = 3_600_000;
const ago = (ms: number) => new Date(T0.getTime() - ms).toISOString();

// 320 healthy tasks spread over four pages, plus overruns on the first and the last page.
const healthy = Array.from({ length: 320 }, (_, i) =>
  task(`infer-ok-${String(i).padStart(3, "0")}`, {
    name: `daily-${i}`,
    startTime: ago(H),
    createTime: ago(H),
    durationSeconds: 86_400,
  }),
);
const overruns = [
  task("infer-late-a", { name: "nightly-embeddings", createTime: ago(30 * H), startTime: ago(29 * H) }),
  task("infer-late-b", { name: "eval-sweep", createTime: ago(14 * H), startTime: ago(13 * H) }),
  task("infer-stuck", { name: "backfill", runStatus: "Queuing", createTime: ago(9 * H) }),
  task("infer-guarded", { name: "training-data-weekly", createTime: ago(40 * H), startTime: ago(40 * H) }),
];
const fleet = {
  batchTasks: [
    overruns[0]!,
    ...healthy.slice(0, 160),
    overruns[1]!,
    ...healthy.slice(160),
    overruns[2]!,
    overruns[3]!,
  ],
};

let setup: TempConfig;
let config: string;
let emulator: RunningEmulator;

beforeEach(async () => {
  setup = await tempConfig("tasks", [
    "version: 1",
    "state: { kind: file, path: state.json }",
    "jobs:",
    "  stop-batch-tasks:",
    "    maxRuntime: 24h",
    "    maxQueued: 6h",
    "    limits:",
    '      - { name: "eval-*", maxRuntime: 12h }',
    "    protect:",
    '      - { name: "training-data-*" }',
  ]);
  config = setup.config;
  emulator = await emulatorWith(fleet);
});
afterEach(async () => {
  await emulator.close();
  await setup.remove();
});

const qfhk = (args: string[]) => runQfhk(args, emulator.url);

const stopCalls = () =>
  emulator.requestLog
    .filter((e) => e.action === "StopBatchInferenceTask")
    .map((e) => (e.body as { taskId: string }).taskId);

describe("qfhk run stop-batch-tasks against the emulator over HTTP", () => {
  it("reads every page of 324 tasks and stops exactly the overrun and stuck ones", async () => {
    const run = await qfhk([
      "run",
      "stop-batch-tasks",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      T0.toISOString(),
      "--json",
    ]);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as RunReport;
    // Four pages each: the plan's listing, still fresh, is the last look right before the batch of
    // stops, then the confirmation right after it; no task is described on its own.
    const pages = emulator.requestLog.filter((e) => e.action === "DescribeBatchInferenceTasks");
    expect(pages).toHaveLength(8);
    expect(emulator.requestLog.filter((e) => e.action === "DescribeBatchInferenceTask")).toHaveLength(0);
    expect(report.jobs[0]!.totals.resources).toBe(324);
    const acted = report.jobs[0]!.decisions.filter((d) => d.verdict === "act");
    expect(acted.map((d) => [d.resourceId, d.reason, d.outcome?.status, d.outcome?.observed])).toEqual([
      ["infer-late-a", "running for 1d5h, > maxRuntime 1d (job limit)", "done", "runStatus Stopping"],
      [
        "infer-late-b",
        "running for 13h, > maxRuntime 12h (limit for name 'eval-*')",
        "done",
        "runStatus Stopping",
      ],
      ["infer-stuck", "queued for 9h, > maxQueued 6h (job limit)", "done", "runStatus Stopping"],
    ]);
    expect(stopCalls().sort()).toEqual(["infer-late-a", "infer-late-b", "infer-stuck"]);
    expect(report.jobs[0]!.decisions.find((d) => d.resourceId === "infer-guarded")).toMatchObject({
      verdict: "keep",
      rule: "protected",
    });
  });

  it("stops nothing when a page of the listing fails", async () => {
    emulator.injectFault({
      action: "DescribeBatchInferenceTasks",
      kind: "status",
      status: 400,
      code: "InvalidParameter",
      times: 1,
      skip: 2,
    });
    const run = await qfhk([
      "run",
      "stop-batch-tasks",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      T0.toISOString(),
      "--json",
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.jobs[0]).toMatchObject({
      status: "failed",
      error: { code: "InvalidParameter", action: "DescribeBatchInferenceTasks" },
    });
    expect(report.jobs[0]!.error!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(stopCalls()).toEqual([]);
  });

  it("reports a task already stopped meanwhile as done, not as a failure", async () => {
    emulator.injectFault({ action: "StopBatchInferenceTask", kind: "reset-after-apply", times: 1 });
    const run = await qfhk([
      "run",
      "stop-batch-tasks",
      "--apply",
      "--simulate",
      "--config",
      config,
      "--now",
      T0.toISOString(),
      "--json",
    ]);
    const report = JSON.parse(run.stdout) as RunReport;
    expect(report.jobs[0]!.totals).toMatchObject({ done: 3, failed: 0 });
    expect(report.jobs[0]!.decisions.filter((d) => d.outcome?.alreadyDone)).toHaveLength(1);
  });
});
