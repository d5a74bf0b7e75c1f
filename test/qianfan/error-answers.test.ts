import { describe, expect, it } from "vitest";
import { z } from "zod";
import { QianfanApiError, type QianfanClientOptions, QianfanNetworkError } from "../../lib/qianfan";
import { type Answer, clientOver, fakeFetch, ok } from "../support/fake-fetch";

const Bool = z.literal(true);

function client(answers: Answer[], options: Partial<QianfanClientOptions> = {}) {
  const fake = fakeFetch(answers);
  const c = clientOver(fake.fetch, options);
  return { client: c, fake };
}

/** An old-style Qianfan error in an HTTP 200, as the official SDKs expect it. */
const oldStyle = (code: number | string, message: string): Answer => ({
  status: 200,
  body: { error_code: code, error_msg: message },
  headers: { "x-bce-request-id": "hdr-req" },
});

describe("retries as the official SDK does for console calls", () => {
  it.each<[string, Answer]>([
    ["336100 server high load (200)", oldStyle(336100, "server high load")],
    ["18 QPS limit (200)", oldStyle(18, "Open api qps request limit reached")],
    ["500000 console internal error (200)", oldStyle(500000, "console internal error")],
    ["18 as a string code with msg (200)", { status: 200, body: { code: "18", msg: "qps" } }],
    ["HTTP 429 without a code", { status: 429, body: "" }],
    ["HTTP 500", { status: 500, body: { code: "InternalError", message: "boom" } }],
    ["HTTP 502", { status: 502, body: "<html>bad gateway</html>" }],
    ["HTTP 503", { status: 503, body: "" }],
    ["HTTP 504", { status: 504, body: "" }],
    ["RequestExpired (the next attempt is signed anew)", { status: 400, body: { code: "RequestExpired" } }],
    ["a reset connection", { networkError: "ECONNRESET" }],
  ])("retries %s and then succeeds", async (_, failure) => {
    const { client: c, fake } = client([failure, ok(true)]);
    const result = await c.call("ReleaseComputeUnit", { instanceId: "u" }, Bool);
    expect(result).toMatchObject({ result: true, attempts: 2 });
    expect(fake.requests).toHaveLength(2);
  });

  it.each<[string, Answer]>([
    ["4 cluster request limit", oldStyle(4, "Open api request limit reached")],
    [
      "336501 inference RPM limit",
      { status: 200, body: { code: 336501, msg: "Rate limit reached for RPM" } },
    ],
    [
      "336502 inference TPM limit",
      { status: 200, body: { code: 336502, msg: "Rate limit reached for TPM" } },
    ],
  ])("does not retry %s: it is not in the SDK's console retry list", async (_, answer) => {
    const { client: c, fake } = client([answer, ok(true)]);
    const error = await c.call("ReleaseComputeUnit", {}, Bool).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error).toMatchObject({ retryable: false });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("a used-up request quota", () => {
  it.each<[string, Answer, string, "daily" | "total"]>([
    ["17 in a 200", oldStyle(17, "Open api daily request limit reached"), "17", "daily"],
    ["19 in a 200", oldStyle(19, "Open api total request limit reached"), "19", "total"],
    [
      "17 with HTTP 429",
      { status: 429, body: { code: 17, message: "Open api daily request limit reached" } },
      "17",
      "daily",
    ],
    [
      "DailyLimitReached with HTTP 429",
      { status: 429, body: { code: "DailyLimitReached", message: "daily limit" } },
      "DailyLimitReached",
      "daily",
    ],
    [
      "TotalRequestLimitReached in a 200",
      { status: 200, body: { code: "TotalRequestLimitReached", message: "total limit" } },
      "TotalRequestLimitReached",
      "total",
    ],
  ])(
    "is not retried (%s), nothing was applied, and the error says the quota is used up",
    async (_, answer, code, quota) => {
      const { client: c, fake } = client([answer, ok(true)]);
      const error = await c.call("ReleaseComputeUnit", {}, Bool).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(QianfanApiError);
      expect(error).toMatchObject({ code, quotaExhausted: quota, retryable: false, outcome: "not-applied" });
      expect((error as Error).message).toContain(
        `the account's ${quota} API request quota is used up (code ${code}); no retry in this run`,
      );
      expect(fake.requests).toHaveLength(1);
    },
  );

  it("is not waited out in not-applied-only mode either", async () => {
    const { client: c, fake } = client([oldStyle(17, "Open api daily request limit reached"), ok({})]);
    await expect(
      c.call("PurchaseTPMResource", {}, z.any(), { retry: "not-applied-only" }),
    ).rejects.toMatchObject({ code: "17", quotaExhausted: "daily" });
    expect(fake.requests).toHaveLength(1);
  });
});

describe("error bodies", () => {
  it.each<[string, Answer, { code: string; platformMessage: string; requestId: string; status: number }]>([
    [
      "{code,message}, string code, non-2xx",
      { status: 403, body: { requestId: "r-1", code: "AccessDenied", message: "Access denied." } },
      { code: "AccessDenied", platformMessage: "Access denied.", requestId: "r-1", status: 403 },
    ],
    [
      "{code,message}, numeric code, HTTP 200",
      { status: 200, body: { requestId: "r-2", code: 336003, message: "invalid param" } },
      { code: "336003", platformMessage: "invalid param", requestId: "r-2", status: 200 },
    ],
    [
      "{error_code,error_msg}, numeric code, HTTP 200, requestId from the header",
      oldStyle(336003, "invalid param"),
      { code: "336003", platformMessage: "invalid param", requestId: "hdr-req", status: 200 },
    ],
    [
      "{error_code,error_msg}, string code, non-2xx",
      {
        status: 400,
        body: { error_code: "InvalidParam", error_msg: "bad model" },
        headers: { "x-bce-request-id": "hdr-2" },
      },
      { code: "InvalidParam", platformMessage: "bad model", requestId: "hdr-2", status: 400 },
    ],
    [
      "{code,msg}, numeric code, HTTP 200",
      {
        status: 200,
        body: { code: 336501, msg: "Rate limit reached for RPM" },
        headers: { "x-bce-request-id": "hdr-3" },
      },
      { code: "336501", platformMessage: "Rate limit reached for RPM", requestId: "hdr-3", status: 200 },
    ],
    [
      "{code,msg}, string code, non-2xx",
      { status: 400, body: { requestId: "r-4", code: "invalid_model", msg: "model is empty" } },
      { code: "invalid_model", platformMessage: "model is empty", requestId: "r-4", status: 400 },
    ],
    [
      "{code:0, error_code,error_msg}: the code that names an error counts",
      { status: 200, body: { requestId: "r-5", code: 0, error_code: 6, error_msg: "No permission" } },
      { code: "6", platformMessage: "No permission", requestId: "r-5", status: 200 },
    ],
  ])("reads %s into a QianfanApiError", async (_, answer, expected) => {
    const { client: c } = client([answer]);
    const error = await c
      .call("DescribeComputeUnits", {}, z.any(), { retry: "none" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error).toMatchObject({ action: "DescribeComputeUnits", ...expected });
    expect((error as Error).message).toContain(expected.platformMessage);
    expect((error as Error).message).toContain(expected.requestId);
  });

  it('takes a 200 whose code is 0 or "0" and that carries a result as a success', async () => {
    const { client: c } = client([
      { status: 200, body: { requestId: "r-a", code: 0, result: true } },
      { status: 200, body: { requestId: "r-b", code: "0", result: true } },
    ]);
    await expect(c.call("ReleaseComputeUnit", {}, Bool)).resolves.toMatchObject({ requestId: "r-a" });
    await expect(c.call("ReleaseComputeUnit", {}, Bool)).resolves.toMatchObject({ requestId: "r-b" });
  });

  it("keeps a network failure a network error, not an API error", async () => {
    const { client: c } = client([{ networkError: "ECONNREFUSED" }], { retry: { retries: 0 } });
    await expect(c.call("DescribeComputeUnits", {}, z.any())).rejects.toBeInstanceOf(QianfanNetworkError);
  });
});
