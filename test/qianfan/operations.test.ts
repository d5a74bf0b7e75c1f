import { describe, expect, it } from "vitest";
import {
  QianfanApi,
  QianfanApiError,
  QianfanClient,
  QianfanResponseError,
  QianfanUnknownOutcomeError,
  staticCredentials,
} from "../../lib/qianfan";
import { type Answer, fail, fakeFetch, ok, type RecordedRequest } from "../support/fake-fetch";

const unit = (instanceId: string, status = "Running") => ({
  instanceId,
  region: "bj",
  status,
  type: "gpu-1",
  totalComputeUnits: 2,
  usedComputeUnits: 0,
  paymentTiming: "Postpaid",
  startTime: "2026-11-01T00:00:00Z",
  creator: "alice",
});
const tpm = (instanceId: string, status = "Running") => ({ instanceId, paymentTiming: "Postpaid", status });

/** Routes each request by its Action to a handler; counts calls per action. */
function platform(handlers: Record<string, (body: Record<string, unknown>, n: number) => Answer>) {
  const counts: Record<string, number> = {};
  const fake = fakeFetch((request: RecordedRequest) => {
    const action = request.url.searchParams.get("Action")!;
    counts[action] = (counts[action] ?? 0) + 1;
    const handler = handlers[action];
    if (!handler) return fail(400, "InvalidAction", `unexpected ${action}`);
    return handler(JSON.parse(request.body), counts[action]!);
  });
  const client = new QianfanClient({
    credentials: staticCredentials({ accessKeyId: "ak", secretAccessKey: "sk" }),
    baseUrl: "http://127.0.0.1:1",
    fetch: fake.fetch,
    retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2, maxRetryTimeMs: 5000 },
    pacing: { requestsPerSecond: 1000, concurrency: 4 },
  });
  const sleeps: number[] = [];
  const api = new QianfanApi(client, {
    purchaseVerification: { listings: 2, delayMs: 1000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return { api, counts, fake, sleeps };
}

describe("idempotent changes", () => {
  it("reports a release the platform accepted", async () => {
    const { api } = platform({ ReleaseComputeUnit: () => ok(true, "r-rel") });
    await expect(api.releaseComputeUnit("unit-1")).resolves.toEqual({
      requestId: "r-rel",
      alreadyDone: false,
    });
  });

  it("treats 'already releasing' as success once the unit shows Releasing", async () => {
    const { api } = platform({
      ReleaseComputeUnit: () => fail(400, "InvalidInstanceStatus", "unit-1 is Releasing", "r-1"),
      DescribeComputeUnit: () =>
        ok({ computeUnitInstance: unit("unit-1", "Releasing"), serviceUsageList: [] }),
    });
    await expect(api.releaseComputeUnit("unit-1")).resolves.toEqual({
      requestId: "r-1",
      alreadyDone: true,
      observed: "status Releasing",
    });
  });

  it("keeps the failure when the unit is still Running", async () => {
    const { api } = platform({
      ReleaseComputeUnit: () => fail(400, "OperationNotAllowed", "prepaid"),
      DescribeComputeUnit: () => ok({ computeUnitInstance: unit("unit-1"), serviceUsageList: [] }),
    });
    await expect(api.releaseComputeUnit("unit-1")).rejects.toMatchObject({ code: "OperationNotAllowed" });
  });

  it("does not look further after an authentication failure", async () => {
    const { api, counts } = platform({ ReleaseComputeUnit: () => fail(403, "SignatureDoesNotMatch") });
    await expect(api.releaseComputeUnit("unit-1")).rejects.toBeInstanceOf(QianfanApiError);
    expect(counts.DescribeComputeUnit).toBeUndefined();
  });

  it("treats a stop of a finished task as success", async () => {
    const { api } = platform({
      StopBatchInferenceTask: () => fail(400, "InvalidTaskStatus", "task is Done"),
      DescribeBatchInferenceTask: () =>
        ok({ taskId: "t-1", name: "n", runStatus: "Done", createTime: "2026-11-01T00:00:00Z" }),
    });
    await expect(api.stopBatchTask("t-1")).resolves.toMatchObject({
      alreadyDone: true,
      observed: "runStatus Done",
    });
  });

  it("treats a scale to the replicas already running as success", async () => {
    const { api } = platform({
      ScaleService: () => fail(500, "InternalError"),
      DescribeComputeUnit: () =>
        ok({
          computeUnitInstance: unit("unit-1"),
          serviceUsageList: [{ serviceId: "svc-1", deploymentReplicasCount: 0 }],
        }),
    });
    await expect(api.scaleService("svc-1", "unit-1", 0)).resolves.toMatchObject({ alreadyDone: true });
  });
});

describe("purchases are never bought twice", () => {
  it("recovers a purchase whose answer was lost by finding the new instance", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) =>
        ok({ instances: n === 1 ? [tpm("tpm-old")] : [tpm("tpm-old"), tpm("tpm-new", "Creating")] }),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    const outcome = await api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 });
    expect(outcome).toMatchObject({ instanceId: "tpm-new", recoveredByListing: true, purchaseRequests: 1 });
    expect(counts.PurchaseTPMResource).toBe(1);
  });

  it("buys again only after the listings prove the first purchase absent", async () => {
    const { api, counts, sleeps } = platform({
      DescribeTPMResource: () => ok({ instances: [tpm("tpm-old")] }),
      PurchaseTPMResource: (_b, n) =>
        n === 1 ? fail(503, "ServiceUnavailable") : ok({ instanceId: "tpm-2" }, "r-2"),
    });
    const outcome = await api.purchaseTpm({
      model: "ernie-3.5-8k",
      purchaseCount: 1,
      releaseTime: "2030-01-01T00:00:00+08:00",
    });
    expect(outcome).toEqual({
      instanceId: "tpm-2",
      requestId: "r-2",
      recoveredByListing: false,
      purchaseRequests: 2,
    });
    expect(counts.PurchaseTPMResource).toBe(2);
    expect(counts.DescribeTPMResource).toBe(3);
    expect(sleeps).toEqual([1000]);
  });

  it("gives up with an unknown outcome after the request cap, never exceeding it", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: () => ok({ instances: [] }),
      PurchaseTPMResource: () => ({ networkError: "UND_ERR_SOCKET" }),
    });
    await expect(api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 })).rejects.toBeInstanceOf(
      QianfanUnknownOutcomeError,
    );
    expect(counts.PurchaseTPMResource).toBe(2);
  });

  it("refuses to guess when two new instances appear", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) => ok({ instances: n === 1 ? [] : [tpm("tpm-a"), tpm("tpm-b")] }),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    const error = await api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanUnknownOutcomeError);
    expect(error.message).toContain("tpm-a");
    expect(counts.PurchaseTPMResource).toBe(1);
  });

  it("says the outcome is unknown when the check listing fails too", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) => (n === 1 ? ok({ instances: [] }) : fail(403, "AccessDenied")),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    await expect(api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 })).rejects.toBeInstanceOf(
      QianfanUnknownOutcomeError,
    );
    expect(counts.PurchaseTPMResource).toBe(1);
  });

  it("passes a definite refusal through without listing again", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: () => ok({ instances: [] }),
      PurchaseTPMResource: () => fail(400, "InvalidParameter", "model"),
    });
    await expect(api.purchaseTpm({ model: "nope", purchaseCount: 1 })).rejects.toMatchObject({
      code: "InvalidParameter",
    });
    expect(counts.DescribeTPMResource).toBe(1);
  });

  it("sends the release time in billing", async () => {
    const { api, fake } = platform({
      DescribeTPMResource: () => ok({ instances: [] }),
      PurchaseTPMResource: () => ok({ instanceId: "tpm-1" }),
    });
    await api.purchaseTpm({
      model: "ernie-3.5-8k",
      purchaseCount: 3,
      releaseTime: "2030-01-25T12:30:30+08:00",
    });
    const purchase = fake.requests.find((r) => r.url.searchParams.get("Action") === "PurchaseTPMResource")!;
    expect(JSON.parse(purchase.body)).toEqual({
      model: "ernie-3.5-8k",
      billing: { paymentTiming: "Postpaid", releaseTime: "2030-01-25T12:30:30+08:00" },
      purchaseCount: 3,
    });
  });
});

describe("paged listings", () => {
  const task = (taskId: string) => ({
    taskId,
    name: taskId,
    runStatus: "Running",
    createTime: "2026-11-01T00:00:00Z",
  });

  it("reads every page by nextMarker, 100 at a time", async () => {
    const pages: Record<string, { ids: string[]; next?: string }> = {
      "": { ids: ["t1", "t2"], next: "t3" },
      t3: { ids: ["t3", "t4"], next: "t5" },
      t5: { ids: ["t5"] },
    };
    const { api, fake } = platform({
      DescribeBatchInferenceTasks: (body) => {
        const page = pages[String(body.marker ?? "")]!;
        return ok({
          taskList: page.ids.map(task),
          pageInfo: {
            marker: body.marker ?? "",
            maxKeys: 100,
            isTruncated: !!page.next,
            nextMarker: page.next,
          },
        });
      },
    });
    const tasks = await api.describeBatchTasks({ runStatus: ["Running"] });
    expect(tasks.map((t) => t.taskId)).toEqual(["t1", "t2", "t3", "t4", "t5"]);
    expect(fake.requests.map((r) => JSON.parse(r.body))).toEqual([
      { runStatus: ["Running"], maxKeys: 100 },
      { runStatus: ["Running"], marker: "t3", maxKeys: 100 },
      { runStatus: ["Running"], marker: "t5", maxKeys: 100 },
    ]);
  });

  it("fails instead of looping when a page repeats its marker", async () => {
    const { api, counts } = platform({
      DescribeBatchInferenceTasks: () =>
        ok({ taskList: [task("t1")], pageInfo: { isTruncated: true, nextMarker: "t1" } }),
    });
    await expect(api.describeBatchTasks()).rejects.toBeInstanceOf(QianfanResponseError);
    expect(counts.DescribeBatchInferenceTasks).toBe(2);
  });

  it("fails the whole listing when one page fails for good", async () => {
    const { api } = platform({
      DescribeBatchInferenceTasks: (body) =>
        body.marker
          ? fail(400, "InvalidParameter", "marker")
          : ok({ taskList: [task("t1")], pageInfo: { isTruncated: true, nextMarker: "t2" } }),
    });
    await expect(api.describeBatchTasks()).rejects.toMatchObject({ code: "InvalidParameter" });
  });
});
