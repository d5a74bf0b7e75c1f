import { afterEach, describe, expect, it } from "vitest";
import type { RunningEmulator } from "../../lib/emulator";
import { BatchTaskSchema, DescribeBatchTasksResult, TrueResult } from "../../lib/qianfan/schemas";
import { call, idsOf, ok, startAt, task } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

const describeTask = (taskId: string) =>
  ok(emulator, "DescribeBatchInferenceTask", { taskId }, BatchTaskSchema);
const page = (body: object) => ok(emulator, "DescribeBatchInferenceTasks", body, DescribeBatchTasksResult);

describe("batch inference tasks as the clock moves", () => {
  it("runs a queued task after its queue time and finishes it after its duration", async () => {
    emulator = await startAt({
      batchTasks: [
        task("t-1", {
          runStatus: "Queuing",
          createTime: "2026-11-23T01:55:00Z",
          queueSeconds: 600,
          durationSeconds: 3600,
        }),
      ],
    });
    expect((await describeTask("t-1")).runStatus).toBe("Queuing");
    emulator.clock.set(new Date("2026-11-23T02:05:00Z"));
    expect(await describeTask("t-1")).toMatchObject({
      runStatus: "Running",
      startTime: "2026-11-23T02:05:00Z",
    });
    emulator.clock.set(new Date("2026-11-23T03:05:00Z"));
    expect(await describeTask("t-1")).toMatchObject({
      runStatus: "Done",
      finishTime: "2026-11-23T03:05:00Z",
    });
  });

  it("keeps a task without a planned duration Running, and one without a queue time Queuing", async () => {
    emulator = await startAt({
      batchTasks: [
        task("t-run", { startTime: "-20h" }),
        task("t-queue", { runStatus: "Queuing", createTime: "-9h" }),
      ],
    });
    emulator.clock.advance(86_400_000);
    expect((await describeTask("t-run")).runStatus).toBe("Running");
    expect((await describeTask("t-queue")).runStatus).toBe("Queuing");
  });

  it.each(["Running", "Queuing"])(
    "stops a %s task: Stopping, then Stopped after the transition time",
    async (runStatus) => {
      emulator = await startAt({ batchTasks: [task("t-1", { runStatus })] });
      expect(await ok(emulator, "StopBatchInferenceTask", { taskId: "t-1" }, TrueResult)).toBe(true);
      expect((await describeTask("t-1")).runStatus).toBe("Stopping");
      emulator.clock.advance(3000);
      expect(await describeTask("t-1")).toMatchObject({
        runStatus: "Stopped",
        finishTime: "2026-11-23T02:00:03Z",
      });
    },
  );

  it.each(["Stopping", "Stopped", "Done", "Failed"])(
    "refuses to stop a task that is %s with InappropriateJSON naming the field and the status",
    async (runStatus) => {
      emulator = await startAt({ batchTasks: [task("t-1", { runStatus })] });
      const answer = await call(emulator, "StopBatchInferenceTask", { taskId: "t-1" });
      expect(answer).toMatchObject({ status: 400, body: { code: "InappropriateJSON" } });
      expect(answer.body.message).toMatch(/^taskId: /);
      expect(answer.body.message).toContain(runStatus);
    },
  );

  it("answers 404 TaskNotFound for an unknown task", async () => {
    emulator = await startAt({});
    expect(await call(emulator, "StopBatchInferenceTask", { taskId: "t-x" })).toMatchObject({
      status: 404,
      body: { code: "TaskNotFound" },
    });
  });
});

describe("DescribeBatchInferenceTasks paging", () => {
  const tasks = Array.from({ length: 321 }, (_, i) =>
    task(`t-${String(i).padStart(3, "0")}`, { runStatus: i % 7 === 0 ? "Done" : "Running" }),
  );

  it("walks more than 300 tasks in pages of at most 100 by nextMarker", async () => {
    emulator = await startAt({ batchTasks: tasks });
    const seen: string[] = [];
    const markers: string[] = [];
    let marker: string | undefined;
    for (;;) {
      const result = await page({ maxKeys: 100, ...(marker ? { marker } : {}) });
      expect(result.taskList.length).toBeLessThanOrEqual(100);
      seen.push(...idsOf(result.taskList, "taskId"));
      markers.push(result.pageInfo.marker ?? "");
      if (!result.pageInfo.isTruncated) break;
      marker = result.pageInfo.nextMarker;
    }
    expect(seen).toEqual(tasks.map((t) => t.taskId));
    expect(markers).toEqual(["", "t-100", "t-200", "t-300"]);
  });

  it("gives 10 tasks to a page by default", async () => {
    emulator = await startAt({ batchTasks: tasks });
    const result = await page({});
    expect(result.taskList).toHaveLength(10);
    expect(result.pageInfo).toEqual({ marker: "", maxKeys: 10, isTruncated: true, nextMarker: "t-010" });
  });

  it("filters by runStatus on every page", async () => {
    emulator = await startAt({ batchTasks: tasks });
    const first = await page({ runStatus: ["Done"], maxKeys: 40 });
    const second = await page({ runStatus: ["Done"], maxKeys: 40, marker: first.pageInfo.nextMarker });
    const done = [...first.taskList, ...second.taskList];
    expect(done.every((t) => t.runStatus === "Done")).toBe(true);
    expect(done).toHaveLength(46);
    expect(second.pageInfo.isTruncated).toBe(false);
  });

  it("continues from a marker whose task no longer matches the filter", async () => {
    emulator = await startAt({
      batchTasks: [
        task("t-a"),
        task("t-b"),
        task("t-c", { durationSeconds: 60, startTime: "-30s" }),
        task("t-d"),
      ],
    });
    const first = await page({ runStatus: ["Running"], maxKeys: 2 });
    expect(first.pageInfo.nextMarker).toBe("t-c");
    emulator.clock.advance(60_000);
    const second = await page({ runStatus: ["Running"], maxKeys: 2, marker: "t-c" });
    expect(idsOf(second.taskList, "taskId")).toEqual(["t-d"]);
  });

  it("lists in reverse with pageReverse", async () => {
    emulator = await startAt({ batchTasks: tasks.slice(0, 5) });
    const result = await page({ pageReverse: true, maxKeys: 3 });
    expect(idsOf(result.taskList, "taskId")).toEqual(["t-004", "t-003", "t-002"]);
    expect(result.pageInfo.nextMarker).toBe("t-001");
  });
});
