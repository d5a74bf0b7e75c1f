import { describe, expect, it } from "vitest";
import {
  QianfanApi,
  QianfanApiError,
  type QianfanApiOptions,
  QianfanClient,
  type QianfanClientOptions,
  QianfanNetworkError,
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
function platform(
  handlers: Record<string, (body: Record<string, unknown>, n: number) => Answer>,
  options: { api?: QianfanApiOptions; client?: Partial<QianfanClientOptions> } = {},
) {
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
    ...options.client,
  });
  const sleeps: number[] = [];
  const api = new QianfanApi(client, {
    purchaseVerification: { listings: 2, delayMs: 1000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options.api,
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

  it("never sends a purchase twice by default: a listing that does not show it yet proves nothing", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: () => ok({ instances: [tpm("tpm-old")] }),
      PurchaseTPMResource: (_b, n) =>
        n === 1 ? fail(503, "ServiceUnavailable") : ok({ instanceId: "tpm-2" }, "r-2"),
    });
    const error = await api.purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanUnknownOutcomeError);
    expect(error.message).toContain("the listing may lag");
    expect(counts.PurchaseTPMResource).toBe(1);
    expect(counts.DescribeTPMResource).toBe(3);
  });

  it("with maxPurchaseRequests 2, buys again only after the listings show the first purchase absent", async () => {
    const { api, counts, sleeps } = platform(
      {
        DescribeTPMResource: () => ok({ instances: [tpm("tpm-old")] }),
        PurchaseTPMResource: (_b, n) =>
          n === 1 ? fail(503, "ServiceUnavailable") : ok({ instanceId: "tpm-2" }, "r-2"),
      },
      { api: { maxPurchaseRequests: 2 } },
    );
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
    const { api, counts } = platform(
      {
        DescribeTPMResource: () => ok({ instances: [] }),
        PurchaseTPMResource: () => ({ networkError: "UND_ERR_SOCKET" }),
      },
      { api: { maxPurchaseRequests: 2 } },
    );
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

describe("listings that cannot be trusted", () => {
  const task = (taskId: string) => ({
    taskId,
    name: taskId,
    runStatus: "Running",
    createTime: "2026-11-01T00:00:00Z",
  });
  const service = (serviceId: string) => ({ serviceId, name: serviceId, runStatus: "Serving" });
  /** A test that would loop forever on a client that trusts the pages fails here instead of in 30 s. */
  const NO_HANG = 10_000;

  it(
    "fails a listing whose empty page says more follow",
    async () => {
      const { api, counts } = platform({
        DescribeBatchInferenceTasks: (_b, n) =>
          ok({ taskList: [], pageInfo: { isTruncated: true, nextMarker: `m-${n}` } }, `r-${n}`),
      });
      const error = await api.describeBatchTasks().catch((e) => e);
      expect(error).toBeInstanceOf(QianfanResponseError);
      expect(error).toMatchObject({ code: "InvalidListing", requestId: "r-1" });
      expect(error.message).toContain("empty page says more follow");
      expect(counts.DescribeBatchInferenceTasks).toBe(1);
    },
    NO_HANG,
  );

  it(
    "fails a listing that needs more than maxPages pages",
    async () => {
      const { api, counts } = platform(
        {
          DescribeServices: (_b, n) =>
            ok({ serviceList: [service(`svc-${n}`)], pageInfo: { isTruncated: true, nextMarker: `m-${n}` } }),
        },
        { api: { maxPages: 3 } },
      );
      const error = await api.describeServices().catch((e) => e);
      expect(error).toBeInstanceOf(QianfanResponseError);
      expect(error.message).toContain("more than 3 pages");
      expect(counts.DescribeServices).toBe(3);
    },
    NO_HANG,
  );

  it(
    "fails a listing with more than maxItems items",
    async () => {
      const { api, counts } = platform(
        {
          DescribeBatchInferenceTasks: (_b, n) =>
            ok({
              taskList: [1, 2, 3].map((i) => task(`t-${n}-${i}`)),
              pageInfo: { isTruncated: true, nextMarker: `m-${n}` },
            }),
        },
        { api: { maxItems: 5 } },
      );
      const error = await api.describeBatchTasksChecked().catch((e) => e);
      expect(error).toBeInstanceOf(QianfanResponseError);
      expect(error.message).toContain("more than 5 items");
      expect(counts.DescribeBatchInferenceTasks).toBe(2);
    },
    NO_HANG,
  );

  it("fails an unchecked paged listing that repeats an id, naming the id and the action", async () => {
    const { api } = platform({
      DescribeServices: (body) =>
        body.marker
          ? ok({ serviceList: [service("svc-2"), service("svc-3")], pageInfo: { isTruncated: false } })
          : ok({ serviceList: [service("svc-1"), service("svc-2")], pageInfo: { isTruncated: true } }),
    });
    const error = await api.describeServices().catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error.code).toBe("InvalidListing");
    expect(error.message).toContain("DescribeServices");
    expect(error.message).toContain("serviceId 'svc-2'");
  });

  it("fails DescribeComputeUnits and DescribeTPMResource listings that repeat an id", async () => {
    const { api } = platform({
      DescribeComputeUnits: () =>
        ok({ computeUnitInstanceList: [unit("unit-1"), unit("unit-2"), unit("unit-1")] }),
      DescribeTPMResource: () => ok({ instances: [tpm("tpm-1"), tpm("tpm-1")] }),
    });
    const units = await api.describeComputeUnits().catch((e) => e);
    expect(units).toBeInstanceOf(QianfanResponseError);
    expect(units.message).toContain("DescribeComputeUnits");
    expect(units.message).toContain("instanceId 'unit-1'");
    const quota = await api.describeTpmResources("ernie-3.5-8k").catch((e) => e);
    expect(quota).toBeInstanceOf(QianfanResponseError);
    expect(quota.message).toContain("DescribeTPMResource");
    expect(quota.message).toContain("instanceId 'tpm-1'");
  });

  it("puts every copy of a repeated compute unit in invalid and none in items", async () => {
    const { api } = platform({
      DescribeComputeUnits: () =>
        ok({ computeUnitInstanceList: [unit("unit-1"), unit("unit-2"), unit("unit-1")] }),
    });
    const listing = await api.describeComputeUnitsChecked();
    expect(listing.items.map((u) => u.instanceId)).toEqual(["unit-2"]);
    expect(listing.invalid).toEqual([
      { index: 0, id: "unit-1", problem: "duplicate instanceId 'unit-1' (listed 2 times)" },
      { index: 2, id: "unit-1", problem: "duplicate instanceId 'unit-1' (listed 2 times)" },
    ]);
  });

  it("puts every copy of a batch task repeated on another page in invalid", async () => {
    const { api } = platform({
      DescribeBatchInferenceTasks: (body) =>
        body.marker
          ? ok({ taskList: [task("t-2"), task("t-3")], pageInfo: { isTruncated: false } })
          : ok({ taskList: [task("t-1"), task("t-2")], pageInfo: { isTruncated: true } }),
    });
    const listing = await api.describeBatchTasksChecked();
    expect(listing.items.map((t) => t.taskId)).toEqual(["t-1", "t-3"]);
    expect(listing.invalid.map((i) => [i.index, i.id])).toEqual([
      [1, "t-2"],
      [2, "t-2"],
    ]);
    expect(listing.invalid[0]!.problem).toContain("duplicate taskId 't-2' (listed 2 times)");
  });
});

describe("call defaults: a run's deadline and cancellation", () => {
  it("passes its defaults to every call and shares the client", async () => {
    const { api, fake } = platform({ DescribeComputeUnits: () => ok({ computeUnitInstanceList: [] }) });
    const late = api.withCallDefaults({ remainingMs: () => 0 });
    expect(late.client).toBe(api.client);
    const error = await late.describeComputeUnits().catch((e) => e);
    expect(error).toBeInstanceOf(QianfanNetworkError);
    expect(error.code).toBe("DEADLINE");
    expect(fake.requests).toHaveLength(0);
    await expect(api.describeComputeUnits()).resolves.toEqual([]);
  });

  it("cancels the purchase listings and the purchase with the run's signal", async () => {
    const { api, fake } = platform({
      DescribeTPMResource: () => ok({ instances: [] }),
      PurchaseTPMResource: () => ok({ instanceId: "tpm-1" }),
    });
    const controller = new AbortController();
    controller.abort();
    const error = await api
      .withCallDefaults({ signal: controller.signal })
      .purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QianfanNetworkError);
    expect(error).toMatchObject({ code: "ABORTED", outcome: "not-applied" });
    expect(fake.requests).toHaveLength(0);
  });

  it("does not buy again when the deadline leaves no time to look for the lost purchase", async () => {
    const { api, counts, sleeps } = platform(
      {
        DescribeTPMResource: () => ok({ instances: [] }),
        PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
      },
      { api: { purchaseVerification: { listings: 2, delayMs: 2000 } } },
    );
    const error = await api
      .withCallDefaults({ remainingMs: () => 1500 })
      .purchaseTpm({ model: "ernie-3.5-8k", purchaseCount: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QianfanUnknownOutcomeError);
    expect(error.message).toContain("deadline");
    expect(counts.PurchaseTPMResource).toBe(1);
    expect(sleeps).toEqual([]);
  });
});
