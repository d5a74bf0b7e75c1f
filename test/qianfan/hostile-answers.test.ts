import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type ClientEvent,
  QianfanApiError,
  QianfanClient,
  type QianfanClientOptions,
  QianfanError,
  QianfanNetworkError,
  QianfanResponseError,
  staticCredentials,
} from "../../lib/qianfan";
import { Pacer } from "../../lib/qianfan/pacer";
import { backoffMs } from "../../lib/qianfan/retry-policy";
import { type Answer, fail, fakeFetch, ok } from "../support/fake-fetch";

const SECRET = "sk-hostile-0123456789";
const credentials = staticCredentials({ accessKeyId: "ak-test", secretAccessKey: SECRET });
const Bool = z.literal(true);
const MiB = 1024 * 1024;
/** A test that would hang on a client that sleeps for the server fails here instead of in 30 s. */
const NO_HANG = 10_000;

function client(
  answers: Answer[] | ((r: never, i: number) => Answer),
  options: Partial<QianfanClientOptions> = {},
) {
  const fake = fakeFetch(answers as Answer[]);
  const events: ClientEvent[] = [];
  const c = new QianfanClient({
    credentials,
    baseUrl: "http://127.0.0.1:8790",
    fetch: fake.fetch,
    retry: { minDelayMs: 1, maxDelayMs: 5, retries: 4, maxRetryTimeMs: 10_000 },
    pacing: { requestsPerSecond: 1000, concurrency: 8, adaptive: false },
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { client: c, fake, events };
}

const retryWaits = (events: ClientEvent[]) =>
  events.flatMap((e) => (e.type === "failure" && e.willRetry ? [e.retryInMs] : []));

describe("waits the platform asks for", () => {
  it(
    "ends the call at once with the throttle code when Retry-After is longer than the retry budget",
    async () => {
      const { client: c, fake } = client([
        fail(429, "RequestLimitExceeded", "slow down", "r-429", { "retry-after": "3600" }),
        ok(true),
      ]);
      const error = await c.call("ReleaseComputeUnit", { instanceId: "unit-1" }, Bool).catch((e) => e);
      expect(error).toBeInstanceOf(QianfanApiError);
      expect(error).toMatchObject({
        action: "ReleaseComputeUnit",
        code: "RequestLimitExceeded",
        status: 429,
        requestId: "r-429",
        outcome: "not-applied",
      });
      expect(error.message).toMatch(
        /the platform asked to wait 3600 s, more than the (10|9\.\d) s left of the call's retry budget/,
      );
      expect(error.message).toContain("r-429");
      expect(fake.requests).toHaveLength(1);
    },
    NO_HANG,
  );

  it(
    "does not pause the other calls for a Retry-After that no call will wait out",
    async () => {
      const { client: c, fake } = client([
        fail(429, "RequestLimitExceeded", "slow down", "r-429", { "retry-after": "3600" }),
        ok(true, "r-next"),
      ]);
      await expect(c.call("ReleaseComputeUnit", {}, Bool)).rejects.toBeInstanceOf(QianfanApiError);
      await expect(c.call("ReleaseComputeUnit", {}, Bool)).resolves.toMatchObject({ requestId: "r-next" });
      expect(fake.requests).toHaveLength(2);
    },
    NO_HANG,
  );

  it("never pauses the shared pacer longer than its maximum", () => {
    const pacer = new Pacer(1000, { maxPauseMs: 50 });
    pacer.pause(3_600_000);
    expect(pacer.waitMs()).toBeLessThanOrEqual(50);
    expect(pacer.waitMs()).toBeGreaterThan(0);
  });

  it(
    "ends the call with the throttle code when Retry-After reaches past the caller's deadline",
    async () => {
      const { client: c, fake } = client(
        [fail(429, "RequestLimitExceeded", "slow down", "r-429", { "retry-after": "5" }), ok(true)],
        { timeoutMs: 500, retry: { retries: 4, minDelayMs: 1, maxDelayMs: 5, maxRetryTimeMs: 60_000 } },
      );
      const error = await c
        .call("DescribeComputeUnits", {}, z.any(), { remainingMs: () => 2000 })
        .catch((e) => e);
      expect(error).toBeInstanceOf(QianfanApiError);
      expect(error.code).toBe("RequestLimitExceeded");
      expect(error.message).toContain("asked to wait 5 s");
      expect(error.message).toContain("before the caller's deadline");
      expect(fake.requests).toHaveLength(1);
    },
    NO_HANG,
  );

  it("backs off exponentially with jitter on throttling answers without Retry-After", async () => {
    const answers: Answer[] = [...Array(5).fill(fail(429, "RequestLimitExceeded")), ok(true)];
    const {
      client: c,
      fake,
      events,
    } = client(answers, {
      retry: { retries: 1, minDelayMs: 10, maxDelayMs: 40, maxRetryTimeMs: 10_000 },
    });
    await expect(c.call("ReleaseComputeUnit", {}, Bool)).resolves.toMatchObject({ result: true });
    expect(fake.requests).toHaveLength(6);
    const waits = retryWaits(events);
    expect(waits).toHaveLength(5);
    expect(waits[0]).toBeGreaterThanOrEqual(10);
    expect(waits[0]).toBeLessThanOrEqual(20);
    expect(waits[1]).toBeGreaterThanOrEqual(20);
    expect(waits[1]).toBeLessThanOrEqual(40);
    expect(waits.slice(2)).toEqual([40, 40, 40]);
  });

  it("doubles the backoff from minDelayMs per attempt, jittered ×1–2, up to maxDelayMs", () => {
    const options = { minDelayMs: 100, maxDelayMs: 1000 };
    expect([1, 2, 3, 4, 5, 60].map((n) => backoffMs(n, options, () => 0))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect([1, 2, 3].map((n) => backoffMs(n, options, () => 0.5))).toEqual([150, 300, 600]);
  });

  it("sends a bounded number of requests to a platform that always throttles", async () => {
    const { client: c, fake } = client([fail(429, "RequestLimitExceeded")], {
      retry: { retries: 2, minDelayMs: 20, maxDelayMs: 40, maxRetryTimeMs: 300 },
    });
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error.code).toBe("RequestLimitExceeded");
    // Every wait is at least minDelayMs, so 300 ms hold at most 1 + 300 / 20 requests.
    expect(fake.requests.length).toBeGreaterThan(1);
    expect(fake.requests.length).toBeLessThanOrEqual(16);
  });
});

describe("host names", () => {
  it("does not retry a host name that does not resolve, and names the host", async () => {
    const { client: c, fake } = client([{ networkError: "ENOTFOUND" }, ok(true)], {
      baseUrl: "http://qianfan.example.invalid",
    });
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanNetworkError);
    expect(error).toMatchObject({ code: "ENOTFOUND", retryable: false, outcome: "not-applied" });
    expect(error.message).toContain("qianfan.example.invalid");
    expect(error.message).toContain("DescribeComputeUnits");
    expect(fake.requests).toHaveLength(1);
  });

  it("retries a temporary DNS failure (EAI_AGAIN)", async () => {
    const { client: c, fake } = client([{ networkError: "EAI_AGAIN" }, ok(true)]);
    await expect(c.call("DescribeComputeUnits", {}, z.any())).resolves.toMatchObject({ result: true });
    expect(fake.requests).toHaveLength(2);
  });
});

describe("answer size", () => {
  it("refuses an answer whose Content-Length is over the cap, without reading it or retrying", async () => {
    const { client: c, fake } = client([
      {
        status: 200,
        stream: { totalBytes: 120 * 1000 * 1000 },
        headers: { "content-length": String(120 * 1000 * 1000), "x-bce-request-id": "r-big" },
      },
      ok(true),
    ]);
    const error = await c.call("ReleaseComputeUnit", {}, Bool).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error).toMatchObject({ code: "ResponseTooLarge", retryable: false, requestId: "r-big" });
    expect(error.message).toContain("answer larger than 32 MiB");
    expect(fake.requests).toHaveLength(1);
    expect(fake.bytesStreamed).toBeLessThanOrEqual(64 * 1024);
  });

  it("stops reading a 120 MB answer as soon as it passes 32 MiB", async () => {
    const { client: c, fake } = client([
      { status: 200, stream: { totalBytes: 120 * 1000 * 1000 } },
      ok(true),
    ]);
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error.code).toBe("ResponseTooLarge");
    expect(error.message).toContain("DescribeComputeUnits");
    expect(error.message).toContain("32 MiB");
    expect(fake.requests).toHaveLength(1);
    expect(fake.bytesStreamed).toBeLessThanOrEqual(32 * MiB + 2 * 64 * 1024);
    expect(fake.streamsCancelled).toBe(1);
  });

  it("applies a configured cap to error answers too", async () => {
    const { client: c, fake } = client(
      [{ status: 500, stream: { totalBytes: 5 * MiB, prefix: '{"code":"InternalError","message":"' } }],
      { maxResponseBytes: MiB },
    );
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error.message).toContain("answer larger than 1 MiB");
    expect(fake.requests).toHaveLength(1);
    expect(fake.bytesStreamed).toBeLessThanOrEqual(MiB + 2 * 64 * 1024);
  });

  it(
    "gives up on a body that never ends at the per-request timeout",
    async () => {
      const { client: c } = client(
        [{ status: 200, stream: { totalBytes: 1000, prefix: '{"result":', stallAfterBytes: 10 } }],
        { timeoutMs: 100, retry: { retries: 0 } },
      );
      const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
      expect(error).toBeInstanceOf(QianfanNetworkError);
      expect(error).toMatchObject({ code: "TIMEOUT", outcome: "unknown" });
    },
    NO_HANG,
  );
});

describe("answer size from a real HTTP server", () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** Serves `totalBytes` of JSON-ish filler in 64 KiB writes, honouring backpressure; counts what it wrote. */
  async function hugeServer(totalBytes: number, declareLength: boolean) {
    const stats = { written: 0, closed: false };
    server = createServer((_request, response) => {
      response.writeHead(200, {
        "content-type": "application/json",
        ...(declareLength ? { "content-length": String(totalBytes) } : {}),
      });
      const chunk = Buffer.alloc(64 * 1024, " ");
      response.on("close", () => {
        stats.closed = true;
      });
      const pump = () => {
        while (stats.written < totalBytes && !stats.closed) {
          stats.written += chunk.length;
          if (!response.write(chunk)) return void response.once("drain", pump);
        }
        if (!stats.closed) response.end();
      };
      pump();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server!.address() as AddressInfo;
    return { stats, baseUrl: `http://127.0.0.1:${port}` };
  }

  it("stops reading a streamed 120 MB answer at 32 MiB and drops the connection", async () => {
    const { stats, baseUrl } = await hugeServer(120 * 1000 * 1000, false);
    const c = new QianfanClient({
      credentials,
      baseUrl,
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 },
    });
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error.code).toBe("ResponseTooLarge");
    await expect.poll(() => stats.closed, { timeout: 5000 }).toBe(true);
    expect(stats.written).toBeLessThan(64 * MiB);
  });

  it("refuses a declared 120 MB answer before reading it", async () => {
    const { stats, baseUrl } = await hugeServer(120 * 1000 * 1000, true);
    const c = new QianfanClient({
      credentials,
      baseUrl,
      retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 },
    });
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toMatchObject({ code: "ResponseTooLarge", retryable: false });
    await expect.poll(() => stats.closed, { timeout: 5000 }).toBe(true);
    expect(stats.written).toBeLessThan(32 * MiB);
  });
});

describe("answer text from a real HTTP server", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("reads characters whose bytes arrive in separate chunks", async () => {
    const body = Buffer.from(JSON.stringify({ requestId: "r-1", result: { name: "千帆 😀 推理" } }));
    server = createServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      // One byte per write, each after the last has gone: every multi-byte character is split.
      let at = 0;
      const next = () => {
        if (at === body.length) return void response.end();
        response.write(body.subarray(at, at + 1), () => setTimeout(next, 0));
        at += 1;
      };
      next();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server!.address() as AddressInfo;
    const c = new QianfanClient({ credentials, baseUrl: `http://127.0.0.1:${port}`, retry: { retries: 0 } });
    const { result } = await c.call("DescribeComputeUnits", {}, z.object({ name: z.string() }));
    expect(result.name).toBe("千帆 😀 推理");
  });
});

describe("answer shape", () => {
  it.each([
    ["JSON null", "null", "NotJson", "JSON null"],
    ["a JSON array", "[1,2,3]", "NotJson", "a JSON array"],
    ["a JSON string", '"all good"', "NotJson", "a JSON string"],
    ["a number", "42", "NotJson", "a JSON number"],
    ["an HTML page", "<html>hello</html>", "NotJson", "not JSON"],
    ["truncated JSON", '{"result": [1, 2', "NotJson", "not JSON"],
    ["an empty body", "", "NotJson", "empty"],
    ["an object without result", '{"requestId":"r-x"}', "NoResult", "no 'result' field"],
  ])("rejects %s from a 200 with a clear, non-retried error", async (_name, body, code, words) => {
    const { client: c, fake } = client([{ status: 200, body }, ok(true)]);
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanResponseError);
    expect(error).toMatchObject({ code, action: "DescribeComputeUnits", retryable: false });
    expect(error.message).toContain(words);
    expect(fake.requests).toHaveLength(1);
  });

  it("shows an object sent as an error code as JSON, not [object Object]", async () => {
    const { client: c } = client([{ status: 400, body: { code: { kind: "Bad" }, message: ["x"] } }]);
    const error = await c.call("DescribeComputeUnits", {}, z.any()).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanApiError);
    expect(error.message).toContain('{"kind":"Bad"}');
    expect(error.message).not.toContain("[object Object]");
  });

  it("never crashes, hangs or leaks the secret, whatever JSON the server sends", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 201, 400, 404, 429, 500, 503),
        fc.oneof(fc.jsonValue(), fc.record({ result: fc.jsonValue() }), fc.string()),
        async (status, body) => {
          const { client: c, fake } = client([{ status, body }], { retry: { retries: 0 } });
          const outcome = await c
            .call("DescribeComputeUnits", {}, z.object({ computeUnitInstanceList: z.array(z.unknown()) }))
            .then(
              () => undefined,
              (e: unknown) => e,
            );
          if (outcome === undefined) return;
          expect(outcome).toBeInstanceOf(QianfanError);
          const text = `${(outcome as Error).message} ${JSON.stringify(outcome)}`;
          expect(text).not.toContain(SECRET);
          expect(text).not.toContain(fake.requests[0]!.headers.authorization!);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("deadline and cancellation", () => {
  it("sends nothing when the deadline leaves less than an attempt needs", async () => {
    const { client: c, fake } = client([ok(true)], { timeoutMs: 500 });
    const error = await c.call("ReleaseComputeUnit", {}, Bool, { remainingMs: () => 50 }).catch((e) => e);
    expect(error).toBeInstanceOf(QianfanNetworkError);
    expect(error).toMatchObject({ code: "DEADLINE", retryable: false, outcome: "not-applied" });
    expect(error.message).toContain("ReleaseComputeUnit");
    expect(error.message).toContain("deadline");
    expect(fake.requests).toHaveLength(0);
  });

  it(
    "cuts an attempt's timeout to the time left before the deadline",
    async () => {
      const { client: c, fake } = client([{ hang: true }], { timeoutMs: 20_000 });
      const end = performance.now() + 1500;
      const error = await c
        .call("DescribeComputeUnits", {}, z.any(), { remainingMs: () => end - performance.now() })
        .catch((e) => e);
      expect(error).toBeInstanceOf(QianfanNetworkError);
      expect(error.code).toBe("DEADLINE");
      expect(error.cause).toMatchObject({ code: "TIMEOUT" });
      expect(error.cause.message).toContain("the time left before the caller's deadline");
      expect(fake.requests).toHaveLength(1);
    },
    NO_HANG,
  );

  it(
    "starts no backoff wait that cannot end before the deadline",
    async () => {
      const { client: c, fake } = client([fail(500, "InternalError", "boom", "r-500"), ok(true)], {
        timeoutMs: 500,
        retry: { retries: 4, minDelayMs: 5000, maxDelayMs: 5000, maxRetryTimeMs: 60_000 },
      });
      const error = await c.call("ScaleService", {}, Bool, { remainingMs: () => 3000 }).catch((e) => e);
      expect(error).toBeInstanceOf(QianfanNetworkError);
      expect(error).toMatchObject({ code: "DEADLINE", outcome: "unknown", requestId: "r-500" });
      expect(error.message).toContain("InternalError");
      expect(fake.requests).toHaveLength(1);
    },
    NO_HANG,
  );

  it(
    "is cancelled by its signal during a backoff wait",
    async () => {
      const controller = new AbortController();
      const { client: c, fake } = client(
        (_r: never, i: number) => {
          if (i === 0) controller.abort();
          return i === 0 ? fail(503, "ServiceUnavailable") : ok(true);
        },
        { retry: { retries: 4, minDelayMs: 5000, maxDelayMs: 5000, maxRetryTimeMs: 60_000 } },
      );
      const error = await c
        .call("DescribeComputeUnits", {}, z.any(), { signal: controller.signal })
        .catch((e) => e);
      expect(error).toBeInstanceOf(QianfanNetworkError);
      expect(error.code).toBe("ABORTED");
      expect(fake.requests).toHaveLength(1);
    },
    NO_HANG,
  );

  it("says how long one call can take at worst", () => {
    const refreshable = { get: credentials.get, refresh: credentials.get };
    const retrying = client([], {
      timeoutMs: 1000,
      retry: { retries: 3, minDelayMs: 100, maxDelayMs: 400, maxRetryTimeMs: 5000 },
    }).client;
    const once = client([], { timeoutMs: 1000, retry: { retries: 0 } }).client;
    const rotating = client([], { timeoutMs: 1000, retry: { retries: 0 }, credentials: refreshable }).client;
    expect(retrying.worstCaseCallMs()).toBe(6000);
    expect(once.worstCaseCallMs()).toBe(1000);
    expect(rotating.worstCaseCallMs()).toBe(2000);
  });
});

describe("redirects from a real HTTP server", () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });

  /** A server that counts its requests and answers each with `answer`. */
  async function serve(answer: (response: ServerResponse) => void) {
    const seen = { requests: 0 };
    const s = createServer((_request, response) => {
      seen.requests += 1;
      answer(response);
    });
    servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    return { seen, url: `http://127.0.0.1:${(s.address() as AddressInfo).port}` };
  }

  it.each([301, 302, 307, 308])(
    "refuses a %i once, naming the host, and sends the signed request nowhere else",
    async (status) => {
      const elsewhere = await serve((response) => {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ requestId: "r-elsewhere", result: true }));
      });
      const proxy = await serve((response) => {
        response.writeHead(status, { location: `${elsewhere.url}/v2/computeunit` });
        response.end();
      });
      const c = new QianfanClient({
        credentials,
        baseUrl: proxy.url,
        retry: { retries: 3, minDelayMs: 1, maxDelayMs: 2 },
      });
      const error = await c.call("ReleaseComputeUnit", { instanceId: "unit-a" }, Bool).catch((e) => e);
      expect(error).toBeInstanceOf(QianfanNetworkError);
      expect(error).toMatchObject({ code: "REDIRECT", retryable: false, outcome: "unknown" });
      expect(error.message).toContain("127.0.0.1");
      expect(error.message).toContain("ReleaseComputeUnit");
      expect(proxy.seen.requests).toBe(1);
      expect(elsewhere.seen.requests).toBe(0);
    },
  );
});
