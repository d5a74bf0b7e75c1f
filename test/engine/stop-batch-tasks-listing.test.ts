import { describe, expect, it } from "vitest";
import { runJobs } from "../../lib/engine/runner";
import { stopBatchTasksJob } from "../../lib/jobs";
import { QianfanApi, QianfanClient, staticCredentials } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";
import { fakeFetch, ok } from "../support/fake-fetch";

const overrun = (taskId: string) => ({
  taskId,
  name: taskId,
  runStatus: "Running",
  createTime: "2026-11-20T00:00:00Z",
});

async function runWithPages(pages: unknown[][]) {
  const stopped = new Set<string>();
  const fake = fakeFetch((request) => {
    const action = request.url.searchParams.get("Action");
    const body = JSON.parse(request.body);
    if (action === "StopBatchInferenceTask") {
      stopped.add(body.taskId);
      return ok(true);
    }
    if (action === "DescribeBatchInferenceTask") {
      return ok({ ...overrun(body.taskId), runStatus: stopped.has(body.taskId) ? "Stopping" : "Running" });
    }
    const marker = body.marker as string | undefined;
    const index = marker ? Number(marker.slice(1)) : 0;
    const more = index + 1 < pages.length;
    return ok({
      taskList: pages[index],
      pageInfo: { isTruncated: more, ...(more ? { nextMarker: `p${index + 1}` } : {}) },
    });
  });
  const api = new QianfanApi(
    new QianfanClient({
      credentials: staticCredentials({ accessKeyId: "a", secretAccessKey: "s" }),
      baseUrl: "http://127.0.0.1:1",
      fetch: fake.fetch,
    }),
  );
  const store = new MemoryStateStore();
  const report = await runJobs({
    jobs: [
      stopBatchTasksJob({
        policy: { maxRuntimeMs: 3_600_000, limits: [], timeZone: "UTC" },
        protectedBy: () => undefined,
      }),
    ],
    api,
    store,
    memory: new JobMemory(store),
    guards: { maxActionsPerRun: 10, maxFleetFraction: 1, allowEmptyListing: false, allowInvalidItems: false },
    now: new Date("2026-11-23T00:00:00Z"),
    clock: () => new Date("2026-11-23T00:00:00Z"),
    dryRun: false,
    target: "fake",
  });
  const stops = fake.requests.filter((r) => r.url.searchParams.get("Action") === "StopBatchInferenceTask");
  return { report, stops };
}

describe("stop-batch-tasks on a listing it does not understand", () => {
  it("stops nothing when a task on a later page lacks its runStatus", async () => {
    const { report, stops } = await runWithPages([
      [overrun("t1"), overrun("t2")],
      [{ taskId: "t3", name: "t3", createTime: "2026-11-20T00:00:00Z" }],
    ]);
    expect(stops).toEqual([]);
    expect(report.jobs[0]).toMatchObject({ status: "stopped", stoppedBy: { guard: "invalid-listing" } });
    expect(report.jobs[0]!.stoppedBy!.message).toContain("t3: runStatus");
  });

  it("stops nothing when a task's status is one it does not know", async () => {
    const { stops, report } = await runWithPages([
      [overrun("t1"), { ...overrun("t2"), runStatus: "Paused" }],
    ]);
    expect(stops).toEqual([]);
    expect(report.jobs[0]!.status).toBe("stopped");
  });

  it("acts when every page is understood", async () => {
    const { stops } = await runWithPages([[overrun("t1")], [overrun("t2")]]);
    expect(stops.map((r) => JSON.parse(r.body).taskId)).toEqual(["t1", "t2"]);
  });
});
