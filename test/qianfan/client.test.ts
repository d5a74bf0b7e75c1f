import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  QianfanApiError,
  QianfanClient,
  type QianfanClientOptions,
  QianfanNetworkError,
  QianfanResponseError,
  staticCredentials,
} from "../../lib/qianfan";
import { canonicalHeaders, parseAuthorization, signRequest } from "../../lib/qianfan/signer";
import { type Answer, fail, fakeFetch, ok } from "../support/fake-fetch";

const SECRET = "sk-very-secret-0123456789";
const credentials = staticCredentials({ accessKeyId: "ak-test", secretAccessKey: SECRET });
const Bool = z.literal(true);

function client(
  answers: Answer[] | ((r: never, i: number) => Answer),
  options: Partial<QianfanClientOptions> = {},
) {
  const fake = fakeFetch(answers as Answer[]);
  const c = new QianfanClient({
    credentials,
    baseUrl: "http://127.0.0.1:8790",
    fetch: fake.fetch,
    retry: { minDelayMs: 1, maxDelayMs: 5, retries: 4, maxRetryTimeMs: 10_000 },
    pacing: { requestsPerSecond: 1000, concurrency: 8, adaptive: false },
    ...options,
  });
  return { client: c, fake };
}

describe("QianfanClient", () => {
  it("sends a POST to the action's route with a bce-auth-v1 signature the signer reproduces", async () => {
    const { client: c, fake } = client([ok(true)]);
    await c.call("ReleaseComputeUnit", { instanceId: "unit-1" }, Bool);
    const [sent] = fake.requests;
    expect(sent!.method).toBe("POST");
    expect(sent!.url.pathname).toBe("/v2/computeunit");
    expect(sent!.url.searchParams.get("Action")).toBe("ReleaseComputeUnit");
    expect(JSON.parse(sent!.body)).toEqual({ instanceId: "unit-1" });
    const auth = parseAuthorization(sent!.headers.authorization!)!;
    expect(auth.accessKeyId).toBe("ak-test");
    expect(auth.signedHeaders).toEqual([
      "content-length",
      "content-type",
      "host",
      "x-bce-date",
      "x-bce-request-id",
    ]);
    expect(sent!.headers["x-bce-date"]).toBe(auth.timestamp);
    // fetch adds Content-Length itself (the body's UTF-8 length), the value that was signed.
    expect(sent!.headers["content-length"]).toBeUndefined();
    const again = signRequest({
      accessKeyId: "ak-test",
      secretAccessKey: SECRET,
      method: "POST",
      path: "/v2/computeunit",
      query: { Action: "ReleaseComputeUnit" },
      headers: { ...sent!.headers, "content-length": String(Buffer.byteLength(sent!.body)) },
      timestamp: auth.date,
      headersToSign: auth.signedHeaders,
    });
    expect(again.signature).toBe(auth.signature);
    expect(canonicalHeaders(sent!.headers).canonical).toContain("host:127.0.0.1%3A8790");
  });

  it("keeps a path prefix of the base URL", async () => {
    const { client: c, fake } = client([ok(true)], { baseUrl: "http://127.0.0.1:8790/proxy/" });
    await c.call("ScaleService", {}, Bool);
    expect(fake.requests[0]!.url.pathname).toBe("/proxy/v2/service");
  });

  it("treats a {code,message} body as an error even with HTTP 200", async () => {
    const { client: c } = client([
      { status: 200, body: { requestId: "r-200", code: "AccessDenied", message: "Access denied." } },
    ]);
    const error = await c.call("ReleaseComputeUnit", {}, Bool).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error).toMatchObject({
      action: "ReleaseComputeUnit",
      code: "AccessDenied",
      status: 200,
      requestId: "r-200",
      retryable: false,
    });
    expect(error.message).toContain("r-200");
  });

  it("retries an old-style {error_code: 18} QPS answer and then succeeds", async () => {
    const { client: c, fake } = client([
      { status: 200, body: { error_code: 18, error_msg: "Open api qps request limit reached" } },
      ok(true),
    ]);
    const result = await c.call("ReleaseComputeUnit", {}, Bool);
    expect(result.result).toBe(true);
    expect(fake.requests).toHaveLength(2);
    expect(result.attempts).toBe(2);
  });

  it("does not retry a validation error", async () => {
    const { client: c, fake } = client([fail(400, "InvalidParameter", "instanceId is required")]);
    await expect(c.call("ReleaseComputeUnit", {}, Bool)).rejects.toMatchObject({
      code: "InvalidParameter",
      retryable: false,
    });
    expect(fake.requests).toHaveLength(1);
  });

  it("retries 5xx answers up to the cap and reports the last one", async () => {
    const { client: c, fake } = client([fail(500, "InternalError")]);
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toMatchObject({ code: "InternalError", retryable: true, outcome: "unknown" });
    expect(fake.requests).toHaveLength(5);
  });

  it("stops retrying when the total retry time is used up", async () => {
    const { client: c, fake } = client([fail(503, "ServiceUnavailable")], {
      retry: { retries: 100, minDelayMs: 20, maxDelayMs: 20, maxRetryTimeMs: 100 },
    });
    await expect(c.call("DescribeComputeUnits", {}, z.any())).rejects.toBeInstanceOf(QianfanApiError);
    expect(fake.requests.length).toBeGreaterThan(1);
    expect(fake.requests.length).toBeLessThan(10);
  });

  it("waits for Retry-After before the next attempt of any call", async () => {
    const { client: c, fake } = client([
      fail(429, "RequestLimitExceeded", "slow down", "r1", { "retry-after": "0.3" }),
      ok(true),
    ]);
    await c.call("ReleaseComputeUnit", {}, Bool);
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(290);
  });

  it("does not use up retries on throttling answers", async () => {
    const answers: Answer[] = [...Array(8).fill(fail(429, "RequestLimitExceeded")), ok(true)];
    const { client: c, fake } = client(answers, {
      retry: { retries: 2, minDelayMs: 1, maxDelayMs: 2, maxRetryTimeMs: 10_000 },
    });
    await expect(c.call("ReleaseComputeUnit", {}, Bool)).resolves.toMatchObject({ result: true });
    expect(fake.requests).toHaveLength(9);
  });

  it("retries a reset connection for ordinary calls", async () => {
    const { client: c, fake } = client([{ networkError: "ECONNRESET" }, ok(true)]);
    await c.call("ReleaseComputeUnit", {}, Bool);
    expect(fake.requests).toHaveLength(2);
  });

  it("never resends a call in not-applied-only mode after a reset: the outcome is unknown", async () => {
    const { client: c, fake } = client([{ networkError: "ECONNRESET" }, ok({ instanceId: "tpm-2" })]);
    const error = await c
      .call("PurchaseTPMResource", {}, z.any(), { retry: "not-applied-only" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(QianfanNetworkError);
    expect(error.outcome).toBe("unknown");
    expect(fake.requests).toHaveLength(1);
  });

  it("resends in not-applied-only mode when the server refused (429) or was never reached", async () => {
    const { client: c, fake } = client([
      fail(429, "RequestLimitExceeded"),
      { networkError: "ECONNREFUSED" },
      ok({ instanceId: "tpm-2" }),
    ]);
    await expect(
      c.call("PurchaseTPMResource", {}, z.any(), { retry: "not-applied-only" }),
    ).resolves.toMatchObject({
      result: { instanceId: "tpm-2" },
    });
    expect(fake.requests).toHaveLength(3);
  });

  it("gives up an attempt at the per-request timeout", async () => {
    const { client: c } = client([{ hang: true }], { timeoutMs: 50, retry: { retries: 0 } });
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanNetworkError);
    expect(error.code).toBe("TIMEOUT");
    expect(error.outcome).toBe("unknown");
  });

  it("rejects a result that lacks a needed field, naming the field, action and requestId", async () => {
    const schema = z.object({ list: z.array(z.object({ status: z.string() })) });
    const { client: c } = client([ok({ list: [{ status: "Running" }, {}] }, "req-77")]);
    const error = await c.call("DescribeComputeUnits", {}, schema).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error.fields).toEqual(["result.list.1.status"]);
    expect(error.message).toContain("DescribeComputeUnits");
    expect(error.message).toContain("req-77");
  });

  it("treats a non-JSON 502 page as a retryable error", async () => {
    const { client: c, fake } = client([{ status: 502, body: "<html>Bad gateway</html>" }, ok(true)]);
    await c.call("ReleaseComputeUnit", {}, Bool);
    expect(fake.requests).toHaveLength(2);
  });

  it("fetches rotated credentials once after InvalidAccessKeyId", async () => {
    let refreshed = 0;
    const rotating = {
      get: async () => ({ accessKeyId: refreshed ? "ak-new" : "ak-old", secretAccessKey: SECRET }),
      refresh: async () => {
        refreshed += 1;
        return { accessKeyId: "ak-new", secretAccessKey: SECRET };
      },
    };
    const { client: c, fake } = client([fail(403, "InvalidAccessKeyId"), ok(true)], {
      credentials: rotating,
    });
    await c.call("ReleaseComputeUnit", {}, Bool);
    expect(refreshed).toBe(1);
    expect(parseAuthorization(fake.requests[1]!.headers.authorization!)!.accessKeyId).toBe("ak-new");
  });

  it("keeps no more requests in flight than the concurrency limit", async () => {
    const { client: c, fake } = client(() => ({ status: 200, body: { result: true }, delayMs: 10 }), {
      pacing: { requestsPerSecond: 10_000, concurrency: 3, adaptive: false },
    });
    await Promise.all(Array.from({ length: 20 }, () => c.call("ReleaseComputeUnit", {}, Bool)));
    expect(fake.requests).toHaveLength(20);
    expect(fake.maxInFlight).toBe(3);
  });

  it("starts no more requests per second than the pacing allows", async () => {
    const { client: c, fake } = client(() => ok(true), {
      pacing: { requestsPerSecond: 50, concurrency: 50, adaptive: false },
    });
    await Promise.all(Array.from({ length: 11 }, () => c.call("ReleaseComputeUnit", {}, Bool)));
    const span = fake.requests.at(-1)!.at - fake.requests[0]!.at;
    expect(span).toBeGreaterThanOrEqual(10 * 20 * 0.9);
  });

  it("never puts the secret or the Authorization header in an error", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Answer>(
          fail(403, "SignatureDoesNotMatch"),
          fail(500, "InternalError"),
          { networkError: "ECONNRESET" },
          { networkError: "ENOTFOUND" },
          { status: 200, body: { result: { wrong: 1 } } },
          { status: 200, body: "null" },
          { status: 502, body: "bad gateway" },
          { status: 200, stream: { totalBytes: 4 * 1024 * 1024 } },
          fail(429, "RequestLimitExceeded", "slow down", "r-429", { "retry-after": "3600" }),
        ),
        async (answer) => {
          const { client: c, fake } = client([answer], {
            retry: { retries: 1, minDelayMs: 1, maxDelayMs: 2, maxRetryTimeMs: 1000 },
            maxResponseBytes: 1024 * 1024,
          });
          const error = await c
            .call("DescribeComputeUnits", {}, z.object({ right: z.number() }))
            .catch((e) => e);
          const text = `${error.message} ${JSON.stringify(error)} ${String(error.stack)} ${JSON.stringify(c)}`;
          expect(text).not.toContain(SECRET);
          expect(text).not.toContain(fake.requests[0]!.headers.authorization!);
          expect(text).not.toContain("bce-auth-v1");
        },
      ),
      { numRuns: 20 },
    );
  });
});
