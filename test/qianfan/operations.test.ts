import { describe, expect, it } from "vitest";
import {
  QianfanApi,
  QianfanApiError,
  type QianfanApiOptions,
  type QianfanClientOptions,
  QianfanNetworkError,
  QianfanResponseError,
  QianfanUnknownOutcomeError,
  SERVICE_UNITS_ACTION,
} from "../../lib/qianfan";
import { findAction } from "../../lib/qianfan/actions";
import { type Answer, clientOver, fail, fakeFetch, ok, type RecordedRequest } from "../support/fake-fetch";

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
    const name = request.url.searchParams.get("Action")!;
    // Actions served on more than one route are told apart by their key in ACTIONS.
    const action = findAction(request.url.pathname, name) ?? name;
    counts[action] = (counts[action] ?? 0) + 1;
    const handler = handlers[action];
    if (!handler) return fail(400, "InvalidAction", `unexpected ${action}`);
    return handler(JSON.parse(request.body), counts[action]!);
  });
  const client = clientOver(fake.fetch, {
    retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2, maxRetryTimeMs: 5000 },
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

  it("treats a scale to the replicas already running as success, read from /v2/serviceresources", async () => {
    const { api, counts } = platform({
      ScaleService: () => fail(500, "InternalError"),
      [SERVICE_UNITS_ACTION]: () => ok({ instances: [] }),
    });
    await expect(api.scaleService("svc-1", "unit-1", 0)).resolves.toMatchObject({ alreadyDone: true });
    expect(counts[SERVICE_UNITS_ACTION]).toBe(1);
  });
});

describe("replicas per service and unit (/v2/serviceresources)", () => {
  /** The answer as Baidu's "查询算力单元实例列表" page documents it. */
  const documented = {
    instances: [
      { instanceId: "unit-1", paymentTiming: "Postpaid", replicasCount: 2, status: "Running" },
      { instanceId: "unit-2", paymentTiming: "Prepaid", replicasCount: 1, status: "Running" },
    ],
  };

  it("sends DescribeComputeUnits with the serviceId to /v2/serviceresources and reads replicasCount", async () => {
    const { api, fake } = platform({ [SERVICE_UNITS_ACTION]: () => ok(documented) });
    expect(await api.serviceReplicasOn("svc-1", "unit-1")).toBe(2);
    expect(await api.serviceReplicasOn("svc-1", "unit-9")).toBe(0);
    const sent = fake.requests[0]!;
    expect(sent.url.pathname).toBe("/v2/serviceresources");
    expect(sent.url.searchParams.get("Action")).toBe("DescribeComputeUnits");
    expect(JSON.parse(sent.body)).toEqual({ serviceId: "svc-1" });
  });

  it("refuses to guess the replicas of a unit whose entry lacks replicasCount, and reads the others", async () => {
    const { api } = platform({
      [SERVICE_UNITS_ACTION]: () =>
        ok({ instances: [{ instanceId: "unit-1", status: "Running" }, documented.instances[1]] }),
    });
    await expect(api.serviceReplicasOn("svc-1", "unit-1")).rejects.toThrow(/unit-1.*replicasCount/);
    expect(await api.serviceReplicasOn("svc-1", "unit-2")).toBe(1);
  });

  it("refuses to read replicas from a listing that names the unit twice", async () => {
    const twice = { ...documented.instances[0], replicasCount: 5 };
    const { api } = platform({
      [SERVICE_UNITS_ACTION]: () => ok({ instances: [documented.instances[0], twice] }),
    });
    await expect(api.serviceReplicasOn("svc-1", "unit-1")).rejects.toThrow(/duplicate instanceId 'unit-1'/);
  });

  it("reads one unit of a service with DescribeComputeUnit on /v2/serviceresources", async () => {
    const { api, fake } = platform({
      "/v2/serviceresources?Action=DescribeComputeUnit": () => ok({ instance: documented.instances[0] }),
    });
    await expect(api.describeServiceUnit("svc-1", "unit-1")).resolves.toMatchObject({ replicasCount: 2 });
    expect(fake.requests[0]!.url.pathname).toBe("/v2/serviceresources");
    expect(JSON.parse(fake.requests[0]!.body)).toEqual({ serviceId: "svc-1", instanceId: "unit-1" });
  });

  it("reads a unit whose DescribeComputeUnit answer has no serviceUsageList, or items of unknown shape", async () => {
    const answers = [
      { computeUnitInstance: unit("unit-1") },
      {
        computeUnitInstance: unit("unit-1"),
        serviceUsageList: [{ serviceId: "svc-1", replicasCount: 3 }, { id: "svc-2", size: 1 }, "odd"],
      },
    ];
    const { api } = platform({ DescribeComputeUnit: (_body, n) => ok(answers[n - 1]) });
    await expect(api.describeComputeUnit("unit-1")).resolves.toMatchObject({
      serviceUsage: [],
      serviceUsageListed: false,
    });
    const second = await api.describeComputeUnit("unit-1");
    expect(second.serviceUsage).toEqual([
      { serviceId: "svc-1", replicas: 3 },
      { serviceId: undefined, replicas: undefined },
      { serviceId: undefined, replicas: undefined },
    ]);
  });
});

describe("DescribeTPMResource item by item", () => {
  it("reports an item lacking status by id and field, and reads expiredTime '-' as valid", async () => {
    const { api } = platform({
      DescribeTPMResource: () =>
        ok({
          instances: [
            { ...tpm("tpm-a"), expiredTime: "-" },
            { instanceId: "tpm-b", paymentTiming: "Postpaid" },
            { ...tpm("tpm-c"), status: "Expired" },
          ],
        }),
    });
    const listing = await api.describeTpmResourcesChecked("ernie-speed-8k");
    expect(listing.items).toEqual([{ ...tpm("tpm-a"), expiredTime: "-" }]);
    expect(listing.invalid).toEqual([
      { index: 1, id: "tpm-b", problem: expect.stringMatching(/^status: /) },
      { index: 2, id: "tpm-c", problem: expect.stringMatching(/^status: /) },
    ]);
  });
});

describe("purchases are never bought twice", () => {
  it("recovers a purchase whose answer was lost by finding the new instance", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) =>
        ok({ instances: n === 1 ? [tpm("tpm-old")] : [tpm("tpm-old"), tpm("tpm-new", "Creating")] }),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    const outcome = await api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 });
    expect(outcome).toMatchObject({ instanceId: "tpm-new", recoveredByListing: true, purchaseRequests: 1 });
    expect(counts.PurchaseTPMResource).toBe(1);
  });

  it("recovers a lost purchase by its new instanceId alone, whatever purchaseCount the listing shows", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) =>
        ok({ instances: n === 1 ? [] : [{ ...tpm("tpm-new", "Creating"), purchaseCount: 10_000 }] }),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    const outcome = await api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 });
    expect(outcome).toMatchObject({ instanceId: "tpm-new", recoveredByListing: true });
    expect(counts.PurchaseTPMResource).toBe(1);
  });

  it("buys beside an unreadable item, and never takes a new unreadable one for the purchase", async () => {
    const broken = { instanceId: "tpm-broken", paymentTiming: "Postpaid" };
    const fine = platform({
      DescribeTPMResource: () => ok({ instances: [broken] }),
      PurchaseTPMResource: () => ok({ instanceId: "tpm-1" }),
    });
    await expect(fine.api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 })).resolves.toMatchObject({
      instanceId: "tpm-1",
    });
    const lost = platform(
      {
        DescribeTPMResource: (_b, n) =>
          ok({ instances: n === 1 ? [broken] : [broken, { instanceId: "tpm-new" }] }),
        PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
      },
      { api: { maxPurchaseRequests: 2 } },
    );
    const error = await lost.api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanUnknownOutcomeError);
    expect(error.message).toContain("new instance tpm-new cannot be read");
    expect(lost.counts.PurchaseTPMResource).toBe(1);
  });

  it("never sends a purchase twice by default: a listing that does not show it yet proves nothing", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: () => ok({ instances: [tpm("tpm-old")] }),
      PurchaseTPMResource: (_b, n) =>
        n === 1 ? fail(503, "ServiceUnavailable") : ok({ instanceId: "tpm-2" }, "r-2"),
    });
    const error = await api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 }).catch((e) => e);
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
      model: "ernie-speed-8k",
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
    await expect(api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 })).rejects.toBeInstanceOf(
      QianfanUnknownOutcomeError,
    );
    expect(counts.PurchaseTPMResource).toBe(2);
  });

  it("refuses to guess when two new instances appear", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) => ok({ instances: n === 1 ? [] : [tpm("tpm-a"), tpm("tpm-b")] }),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    const error = await api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 }).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanUnknownOutcomeError);
    expect(error.message).toContain("tpm-a");
    expect(counts.PurchaseTPMResource).toBe(1);
  });

  it("says the outcome is unknown when the check listing fails too", async () => {
    const { api, counts } = platform({
      DescribeTPMResource: (_b, n) => (n === 1 ? ok({ instances: [] }) : fail(403, "AccessDenied")),
      PurchaseTPMResource: () => ({ networkError: "ECONNRESET" }),
    });
    await expect(api.purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 })).rejects.toBeInstanceOf(
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
      model: "ernie-speed-8k",
      purchaseCount: 3,
      releaseTime: "2030-01-25T12:30:30+08:00",
    });
    const purchase = fake.requests.find((r) => r.url.searchParams.get("Action") === "PurchaseTPMResource")!;
    expect(JSON.parse(purchase.body)).toEqual({
      model: "ernie-speed-8k",
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

  it("continues from the last id when no nextMarker is given, without fetching or counting an item twice", async () => {
    const { api, fake } = platform({
      DescribeServices: (body) =>
        body.protocolVersion === 2
          ? ok({ serviceList: [], pageInfo: { isTruncated: false } })
          : body.marker
            ? ok({ serviceList: [service("svc-2"), service("svc-3")], pageInfo: { isTruncated: false } })
            : ok({ serviceList: [service("svc-1"), service("svc-2")], pageInfo: { isTruncated: true } }),
    });
    const services = await api.describeServices();
    expect(services.map((s) => s.serviceId)).toEqual(["svc-1", "svc-2", "svc-3"]);
    expect(JSON.parse(fake.requests[1]!.body)).toMatchObject({ marker: "svc-2" });
  });

  it("prefers nextMarker to the last id, and reads a page that starts after the marker", async () => {
    const { api, fake } = platform({
      DescribeServices: (body) =>
        body.protocolVersion === 2
          ? ok({ serviceList: [], pageInfo: { isTruncated: false } })
          : body.marker
            ? ok({ serviceList: [service("svc-3")], pageInfo: { isTruncated: false } })
            : ok({
                serviceList: [service("svc-1"), service("svc-2")],
                pageInfo: { isTruncated: true, nextMarker: "svc-3" },
              }),
    });
    expect((await api.describeServices()).map((s) => s.serviceId)).toEqual(["svc-1", "svc-2", "svc-3"]);
    expect(JSON.parse(fake.requests[1]!.body)).toMatchObject({ marker: "svc-3" });
  });

  it("lists services of protocol versions 1 and 2, each service once", async () => {
    const { api, fake } = platform({
      DescribeServices: (body) =>
        ok({
          serviceList:
            body.protocolVersion === 2 ? [service("svc-v2"), service("svc-both")] : [service("svc-both")],
          pageInfo: { isTruncated: false },
        }),
    });
    expect((await api.describeServices()).map((s) => s.serviceId)).toEqual(["svc-both", "svc-v2"]);
    expect(fake.requests.map((r) => JSON.parse(r.body).protocolVersion)).toEqual([1, 2]);
  });

  it("fails an unchecked paged listing that repeats an id, naming the id and the action", async () => {
    const { api } = platform({
      DescribeServices: (body) =>
        body.marker
          ? ok({ serviceList: [service("svc-3"), service("svc-1")], pageInfo: { isTruncated: false } })
          : ok({ serviceList: [service("svc-1"), service("svc-2")], pageInfo: { isTruncated: true } }),
    });
    const error = await api.describeServices().catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error.code).toBe("InvalidListing");
    expect(error.message).toContain("DescribeServices");
    expect(error.message).toContain("serviceId 'svc-1'");
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
    const quota = await api.describeTpmResources("ernie-speed-8k").catch((e) => e);
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
          ? ok({ taskList: [task("t-3"), task("t-1")], pageInfo: { isTruncated: false } })
          : ok({ taskList: [task("t-1"), task("t-2")], pageInfo: { isTruncated: true, nextMarker: "t-3" } }),
    });
    const listing = await api.describeBatchTasksChecked();
    expect(listing.items.map((t) => t.taskId)).toEqual(["t-2", "t-3"]);
    expect(listing.invalid.map((i) => [i.index, i.id])).toEqual([
      [0, "t-1"],
      [3, "t-1"],
    ]);
    expect(listing.invalid[0]!.problem).toContain("duplicate taskId 't-1' (listed 2 times)");
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
      .purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 })
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
      .purchaseTpm({ model: "ernie-speed-8k", purchaseCount: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QianfanUnknownOutcomeError);
    expect(error.message).toContain("deadline");
    expect(counts.PurchaseTPMResource).toBe(1);
    expect(sleeps).toEqual([]);
  });
});
