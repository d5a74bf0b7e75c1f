import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import { DEMO_CREDENTIALS, type RunningEmulator, runEmulatorCommand } from "../../lib/emulator";
import { QianfanConfigError, readQianfanEnv } from "../../lib/qianfan";
import { capture } from "../support/cli";
import { emulatorWith, postpaidUnit, task } from "../support/emulator";

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

describe("inventory commands", () => {
  it("prints compute units as a table and as JSON against any base URL", async () => {
    emulator = await emulatorWith({
      computeUnits: [postpaidUnit("unit-a"), postpaidUnit("unit-b", { paymentTiming: "Prepaid" })],
    });
    const env = { QIANFAN_CONSOLE_API_BASE_URL: emulator.url };
    const table = capture();
    expect(await main(["units"], table.io, env)).toBe(0);
    expect(table.out[0]).toMatch(/^INSTANCE +REGION +TYPE +PAYMENT +STATUS +USED/);
    expect(table.out[0]).toMatch(/unit-b +bj +gpu-1 +Prepaid +Running +0\/4/);
    expect(table.out[0]).toContain("2 compute units");
    const json = capture();
    expect(await main(["units", "--json"], json.io, env)).toBe(0);
    expect(JSON.parse(json.out[0]!).map((u: { instanceId: string }) => u.instanceId)).toEqual([
      "unit-a",
      "unit-b",
    ]);
  });

  it("lists tasks across pages and TPM instances of a model", async () => {
    emulator = await emulatorWith({
      batchTasks: Array.from({ length: 130 }, (_, i) => task(`t-${i}`)),
      tpmResources: [{ instanceId: "tpm-1", model: "ernie-speed-8k", startTime: "-1h", purchaseCount: 2 }],
    });
    const env = { QIANFAN_CONSOLE_API_BASE_URL: emulator.url };
    const tasks = capture();
    await main(["tasks", "--json"], tasks.io, env);
    expect(JSON.parse(tasks.out[0]!)).toHaveLength(130);
    const tpm = capture();
    await main(["tpm", "--model", "ernie-speed-8k"], tpm.io, env);
    expect(tpm.out[0]).toMatch(/tpm-1 +Running +Postpaid +20000 +66 /);
  });

  it("lists services with the platform's name and runStatus filters, of both protocol versions", async () => {
    emulator = await emulatorWith({
      computeUnits: [postpaidUnit("unit-a", { usedComputeUnits: 1 })],
      services: [
        {
          serviceId: "svc-1",
          name: "chat-prod",
          createTime: "-1d",
          deployments: [{ instanceId: "unit-a", replicas: 1 }],
        },
        { serviceId: "svc-2", name: "chat-dev", createTime: "-1d", protocolVersion: 2 },
        { serviceId: "svc-3", name: "rag", createTime: "-1d" },
      ],
    });
    const env = { QIANFAN_CONSOLE_API_BASE_URL: emulator.url };
    const named = capture();
    await main(["services", "--json", "--name", "chat"], named.io, env);
    expect(JSON.parse(named.out[0]!).map((s: { serviceId: string }) => s.serviceId)).toEqual([
      "svc-1",
      "svc-2",
    ]);
    const stopped = capture();
    await main(["services", "--json", "--status", "Stopped"], stopped.io, env);
    expect(JSON.parse(stopped.out[0]!).map((s: { serviceId: string }) => s.serviceId)).toEqual([
      "svc-3",
      "svc-2",
    ]);
    const sent = emulator.requestLog.filter((e) => e.action === "DescribeServices").map((e) => e.body);
    expect(sent).toContainEqual({ name: "chat", protocolVersion: 2, maxKeys: 100 });
    expect(sent).toContainEqual({ runStatus: ["Stopped"], protocolVersion: 1, maxKeys: 100 });
  });

  it("uses the built-in emulator and says so when nothing is configured", async () => {
    const c = capture();
    expect(await main(["services"], c.io, {})).toBe(0);
    expect(c.err[0]).toMatch(/^Using the built-in Qianfan emulator/);
    expect(c.out[0]).toContain("svco-chat-prod");
  });

  it("fails with one line naming the action, code and requestId, and no stack", async () => {
    emulator = await emulatorWith({});
    const c = capture();
    const code = await main(["units"], c.io, {
      QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
      QIANFAN_ACCESS_KEY: "ak",
      QIANFAN_SECRET_KEY: "wrong",
    });
    expect(code).toBe(1);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(
      /^qfhk: DescribeComputeUnits failed: InvalidAccessKeyId \(HTTP 403\): .*requestId [0-9a-f-]{36}$/,
    );
    expect(c.err[0]).not.toContain("wrong");
  });

  it("answers bad usage with exit code 2", async () => {
    const c = capture();
    expect(await main(["tpm"], c.io, {})).toBe(2);
    expect(c.err[0]).toBe("qfhk: qfhk tpm needs --model, e.g. --model ernie-speed-8k");
    expect(await main(["units", "--bogus"], capture().io, {})).toBe(2);
    expect(await main(["frobnicate"], capture().io, {})).toBe(2);
    expect(await main(["run", "all", "--now", "yesterday"], capture().io, {})).toBe(2);
    expect(await main(["run", "nosuchjob", "--config", "housekeeping.example.yml"], capture().io, {})).toBe(
      2,
    );
  });
});

describe("qfhk emulator", () => {
  /** Runs `qfhk emulator` in-process until `stop()`; resolves once it prints its URL. */
  async function emulatorCommand(args: string[], env: Record<string, string> = {}) {
    const c = capture();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runEmulatorCommand(
      ["--port", "0", "--fleet", "fleets/demo-fleet.json", ...args],
      c.io,
      env,
      stopped,
    );
    await expect
      .poll(() => c.out.some((l) => l.includes("QIANFAN_CONSOLE_API_BASE_URL=")), { timeout: 30_000 })
      .toBe(true);
    const url = /QIANFAN_CONSOLE_API_BASE_URL=(\S+)/.exec(c.out.join("\n"))![1]!;
    const finish = () => {
      stop();
      return running;
    };
    return { out: c.out, url, stop: finish };
  }

  it("serves the fleet with the demo pair and prints it, until stopped", async () => {
    const emulator = await emulatorCommand(["--latency-ms", "1"]);
    expect(emulator.out.join("\n")).toContain(DEMO_CREDENTIALS.secretAccessKey);
    const units = capture();
    expect(await main(["units", "--json"], units.io, { QIANFAN_CONSOLE_API_BASE_URL: emulator.url })).toBe(0);
    expect(JSON.parse(units.out[0]!).length).toBeGreaterThan(5);
    expect(emulator.out.some((l) => / DescribeComputeUnits \/v2\/computeunit 200 /.test(l))).toBe(true);
    expect(await emulator.stop()).toBe(0);
  });

  it("accepts the user's key pair without printing its secret", async () => {
    const emulator = await emulatorCommand([], {
      QIANFAN_ACCESS_KEY: "my-ak",
      QIANFAN_SECRET_KEY: "my-very-secret",
    });
    expect(emulator.out.join("\n")).toContain("Accepting access key my-ak");
    expect(emulator.out.join("\n")).not.toContain("my-very-secret");
    await emulator.stop();
  });

  it("starts with a field dropped from answers, and qfhk doctor then reports that assumption failed", async () => {
    const emulator = await emulatorCommand(["--drop-field", "DescribeComputeUnits:paymentTiming"]);
    const doctor = capture();
    expect(await main(["doctor", "--json"], doctor.io, { QIANFAN_CONSOLE_API_BASE_URL: emulator.url })).toBe(
      1,
    );
    const report = JSON.parse(doctor.out[0]!) as {
      checks: Array<{ id: string; status: string; detail: string }>;
    };
    const failed = report.checks.filter((check) => check.status === "fail");
    expect(failed.map((check) => check.id)).toEqual(["unit-fields"]);
    expect(failed[0]!.detail).toContain("paymentTiming: missing");
    expect(await emulator.stop()).toBe(0);
  });

  it("refuses a --drop-field that names no field", async () => {
    await expect(
      runEmulatorCommand(
        ["--fleet", "fleets/demo-fleet.json", "--drop-field", "DescribeComputeUnits:"],
        capture().io,
        {},
        Promise.resolve(),
      ),
    ).rejects.toThrow("--drop-field takes FIELD or ACTION:FIELD, got 'DescribeComputeUnits:'");
  });

  it("accepts the user's key pair without printing its secret", async () => {
    const c = capture();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runEmulatorCommand(
      ["--port", "0", "--fleet", "fleets/demo-fleet.json"],
      c.io,
      { QIANFAN_ACCESS_KEY: "my-ak", QIANFAN_SECRET_KEY: "my-very-secret" },
      stopped,
    );
    await expect.poll(() => c.out.length >= 3, { timeout: 30_000 }).toBe(true);
    expect(c.out.join("\n")).toContain("Accepting access key my-ak");
    expect(c.out.join("\n")).not.toContain("my-very-secret");
    stop();
    await running;
  });

  it("refuses a fail rate outside 0..1", async () => {
    await expect(
      runEmulatorCommand(
        ["--fleet", "fleets/demo-fleet.json", "--fail-rate", "2"],
        capture().io,
        {},
        Promise.resolve(),
      ),
    ).rejects.toThrow("--fail-rate must be a number from 0 to 1");
  });
});

describe("readQianfanEnv", () => {
  it("reads the official SDKs' variable names", () => {
    expect(
      readQianfanEnv({
        QIANFAN_ACCESS_KEY: "ak",
        QIANFAN_SECRET_KEY: "sk",
        QIANFAN_CONSOLE_API_BASE_URL: "http://127.0.0.1:8790",
      }),
    ).toEqual({
      credentials: { accessKeyId: "ak", secretAccessKey: "sk" },
      baseUrl: "http://127.0.0.1:8790",
    });
    expect(readQianfanEnv({})).toEqual({ baseUrl: undefined });
  });

  it("refuses half a key pair and a bad URL, without echoing the secret", () => {
    expect(() => readQianfanEnv({ QIANFAN_SECRET_KEY: "s3cret" })).toThrow(QianfanConfigError);
    try {
      readQianfanEnv({ QIANFAN_SECRET_KEY: "s3cret" });
    } catch (error) {
      expect((error as Error).message).not.toContain("s3cret");
    }
    expect(() => readQianfanEnv({ QIANFAN_CONSOLE_API_BASE_URL: "ftp://x" })).toThrow(
      "must use http or https",
    );
  });
});

describe("qfhk schedule explain", () => {
  it("says whether the schedule is on and lists its next changes in the schedule's zone", async () => {
    const c = capture();
    const code = await main(
      ["schedule", "explain", "Mon-Fri 08:00-20:00", "--now", "2026-11-27T10:00:00Z", "--count", "2"],
      c.io,
      {},
    );
    expect(code).toBe(0);
    expect(c.out[0]).toBe(
      [
        '"Mon-Fri 08:00-20:00" (default zone Asia/Shanghai), at 18:00 Asia/Shanghai:',
        "  ON now, by Mon, Tue, Wed, Thu, Fri 08:00–20:00 Asia/Shanghai",
        "  turns OFF Fri 2026-11-27 20:00 Asia/Shanghai (in 2h)",
        "  turns ON  Mon 2026-11-30 08:00 Asia/Shanghai (in 2d14h)",
      ].join("\n"),
    );
  });

  it("reads the clock it is given when there is no --now, and refuses an impossible --now", async () => {
    const c = capture();
    const friday = () => new Date("2026-11-27T10:00:00Z");
    expect(await main(["schedule", "explain", "Mon-Fri 08:00-20:00", "--count", "1"], c.io, {}, friday)).toBe(
      0,
    );
    expect(c.out[0]).toContain("turns OFF Fri 2026-11-27 20:00 Asia/Shanghai (in 2h)");
    const bad = capture();
    expect(await main(["schedule", "explain", "always", "--now", "2026-02-30T10:00:00Z"], bad.io, {})).toBe(
      2,
    );
    expect(bad.err[0]).toContain("--now must be a real ISO time with a zone");
  });

  it("applies holidays and make-up days given on the command line", async () => {
    const c = capture();
    await main(
      [
        "schedule",
        "explain",
        "Mon-Fri 08:00-20:00",
        "--now",
        "2026-10-09T13:00:00Z",
        "--count",
        "1",
        "--workday",
        "2026-10-10",
      ],
      c.io,
      {},
    );
    expect(c.out[0]).toContain("turns ON  Sat 2026-10-10 08:00");
  });

  it("points at the position of a syntax error, exit code 2", async () => {
    const c = capture();
    expect(await main(["schedule", "explain", "Mon-Fri 8-20"], c.io, {})).toBe(2);
    expect(c.err[0]).toBe(
      `qfhk: schedule "Mon-Fri 8-20" at position 9: expected a time range HH:MM-HH:MM such as '08:00-20:00', found "8-20"`,
    );
  });
});

describe("qfhk force-up", () => {
  it("records a force-up override that the scale-services job reads, not a snooze", async () => {
    const { mkdtemp, rm } = await import("node:fs/promises");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { FileStateStore, JobMemory } = await import("../../lib/state");
    const dir = await mkdtemp(join(tmpdir(), "qfhk-force-"));
    try {
      const env = { QFHK_STATE_PATH: join(dir, "state.json") };
      const c = capture();
      const noon = () => new Date("2026-11-23T12:00:00Z");
      expect(await main(["force-up", "svco-chat", "4h"], c.io, env, noon)).toBe(0);
      expect(c.out[0]).toBe(
        `svco-chat is kept up until 2026-11-24 00:00 +08:00 (Asia/Shanghai), whatever its schedule says (file ${env.QFHK_STATE_PATH})`,
      );
      const at = new Date("2026-11-23T13:00:00Z");
      const store = new FileStateStore(env.QFHK_STATE_PATH, { clock: () => at.getTime() });
      const [entry] = await new JobMemory(store).listSnoozes(at);
      expect(entry).toMatchObject({ resourceId: "svco-chat", kind: "force-up" });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
