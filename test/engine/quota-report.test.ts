import { describe, expect, it } from "vitest";
import { renderRunReport } from "../../lib/engine/report";
import { runJobs } from "../../lib/engine/runner";
import { stopBatchTasksJob } from "../../lib/jobs";
import { QianfanApi } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";
import { clientOver, fakeFetch } from "../support/fake-fetch";

const NOW = new Date("2026-11-23T00:00:00Z");

/** Runs stop-batch-tasks against a platform that answers every request with `error_code`. */
async function runAgainstQuota(errorCode: number, errorMsg: string) {
  const fake = fakeFetch(() => ({
    status: 200,
    body: { error_code: errorCode, error_msg: errorMsg },
    headers: { "x-bce-request-id": "req-quota" },
  }));
  const api = new QianfanApi(clientOver(fake.fetch));
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
    now: NOW,
    clock: () => NOW,
    dryRun: false,
    target: "fake",
  });
  return { report, requests: fake.requests };
}

describe("a used-up API request quota in a job report", () => {
  it.each([
    [17, "Open api daily request limit reached", "daily"],
    [19, "Open api total request limit reached", "total"],
  ])(
    "fails the job after one request on code %i (%s) and says which quota is used up",
    async (code, msg, quota) => {
      const { report, requests } = await runAgainstQuota(code, msg);
      expect(requests).toHaveLength(1);
      expect(report.jobs[0]).toMatchObject({
        status: "failed",
        error: { code: String(code), requestId: "req-quota", action: "DescribeBatchInferenceTasks" },
      });
      const said = `the account's ${quota} API request quota is used up (code ${code}); no retry in this run`;
      expect(report.jobs[0]!.error!.message).toContain(said);
      expect(renderRunReport(report)).toContain(said);
    },
  );
});
