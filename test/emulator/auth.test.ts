import { afterEach, describe, expect, it } from "vitest";
import { DEMO_CREDENTIALS, EmulatorClock, type RunningEmulator } from "../../lib/emulator";
import { call, startAt, unit } from "./helpers";

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

const MINUTE = 60_000;

describe("bce-auth-v1 over HTTP", () => {
  it("accepts a request signed with the demo key pair", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1")] });
    const answer = await call(emulator, "DescribeComputeUnits");
    expect(answer.status).toBe(200);
    expect(emulator.requestLog.at(-1)).toMatchObject({
      status: 200,
      accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    });
  });

  it("accepts a signature whose signed-header list is empty (the default set plus x-bce-*)", async () => {
    emulator = await startAt({});
    expect((await call(emulator, "DescribeComputeUnits", {}, { omitSignedHeaderList: true })).status).toBe(
      200,
    );
  });

  it("accepts only the key pairs it was given", async () => {
    emulator = await startAt({}, { credentials: [{ accessKeyId: "ak-own", secretAccessKey: "sk-own" }] });
    const own = await call(emulator, "DescribeComputeUnits", {}, { accessKeyId: "ak-own", secret: "sk-own" });
    const demo = await call(emulator, "DescribeComputeUnits");
    expect(own.status).toBe(200);
    expect(demo).toMatchObject({ status: 403, body: { code: "InvalidAccessKeyId" } });
  });

  it("refuses a request whose signature was computed with another secret", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "DescribeComputeUnits", {}, { secret: "not-the-secret" });
    expect(answer).toMatchObject({ status: 403, body: { code: "SignatureDoesNotMatch" } });
  });

  it("refuses an access key id it does not know", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "DescribeComputeUnits", {}, { accessKeyId: "ak-nobody" });
    expect(answer).toMatchObject({ status: 403, body: { code: "InvalidAccessKeyId" } });
  });

  it("refuses a request with no Authorization, or one that is not bce-auth-v1", async () => {
    emulator = await startAt({});
    const none = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      { tamper: (r) => delete r.headers.authorization },
    );
    const bearer = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      {
        tamper: (r) => {
          r.headers.authorization = "Bearer abc";
        },
      },
    );
    expect(none).toMatchObject({ status: 403, body: { code: "AccessDenied" } });
    expect(bearer).toMatchObject({ status: 403, body: { code: "AccessDenied" } });
  });

  it("refuses a signature over another host or port", async () => {
    emulator = await startAt({});
    const answer = await call(emulator, "DescribeComputeUnits", {}, { signedHost: "127.0.0.1:1" });
    expect(answer).toMatchObject({ status: 403, body: { code: "SignatureDoesNotMatch" } });
  });

  it("refuses a request whose signed x-bce-date, query or path was changed after signing", async () => {
    emulator = await startAt({});
    const date = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      {
        tamper: (r) => {
          r.headers["x-bce-date"] = "2026-01-01T00:00:00Z";
        },
      },
    );
    const query = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      {
        tamper: (r) => {
          r.path += "&extra=1";
        },
      },
    );
    const path = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      {
        tamper: (r) => {
          r.path = r.path.replace("/v2/computeunit", "/v2/service");
        },
      },
    );
    for (const answer of [date, query, path]) {
      expect(answer).toMatchObject({ status: 403, body: { code: "SignatureDoesNotMatch" } });
    }
  });

  it("refuses a signature older than its expiration, or dated more than 15 minutes ahead", async () => {
    emulator = await startAt({});
    const stale = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      { signedAt: new Date(Date.now() - 31 * MINUTE) },
    );
    const shortLived = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      { signedAt: new Date(Date.now() - 2 * MINUTE), expirationSeconds: 60 },
    );
    const future = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      { signedAt: new Date(Date.now() + 16 * MINUTE) },
    );
    const nearFuture = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      { signedAt: new Date(Date.now() + 14 * MINUTE) },
    );
    expect(stale).toMatchObject({ status: 400, body: { code: "RequestExpired" } });
    expect(shortLived).toMatchObject({ status: 400, body: { code: "RequestExpired" } });
    expect(future).toMatchObject({ status: 400, body: { code: "RequestExpired" } });
    expect(nearFuture.status).toBe(200);
  });

  it("judges a signature's age on the real clock, whatever the emulator clock says", async () => {
    emulator = await startAt(
      {},
      { clock: new EmulatorClock(new Date("2031-01-01T00:00:00Z"), { frozen: true }) },
    );
    const now = await call(emulator, "DescribeComputeUnits");
    const atEmulatorTime = await call(
      emulator,
      "DescribeComputeUnits",
      {},
      { signedAt: emulator.clock.now() },
    );
    expect(now.status).toBe(200);
    expect(atEmulatorTime).toMatchObject({ status: 400, body: { code: "RequestExpired" } });
  });

  it("logs neither the secret nor the Authorization header", async () => {
    emulator = await startAt({});
    await call(emulator, "DescribeComputeUnits");
    await call(emulator, "DescribeComputeUnits", {}, { secret: "sk-other-secret" });
    const log = JSON.stringify(emulator.requestLog);
    expect(emulator.requestLog).toHaveLength(2);
    expect(log).not.toContain(DEMO_CREDENTIALS.secretAccessKey);
    expect(log).not.toContain("sk-other-secret");
    expect(log).not.toContain("bce-auth-v1");
  });
});
