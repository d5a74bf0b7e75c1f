import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { releaseUnits } from "../../lib/app/job-entries";
import {
  buildJobHandlerDeps,
  EventError,
  handleDoctorEvent,
  handleJobEvent,
  parseDoctorEvent,
  parseJobEvent,
} from "../../lib/app/lambda";
import type { RunLogger, RunMetrics } from "../../lib/app/observability";
import { secretsManagerCredentials } from "../../lib/aws/secrets";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { startDynalite } from "../support/dynalite";
import { emulatorWith, postpaidUnit } from "../support/emulator";
import { compileBeside } from "../support/temp-config";

/** What the release-units function builds at cold start. */
const jobDeps = (
  vars: Record<string, string | undefined>,
  extra: Parameters<typeof buildJobHandlerDeps>[1] = {},
) => buildJobHandlerDeps(vars, { jobs: [releaseUnits], ...extra });

const event = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, "utf8"));

describe("parseJobEvent", () => {
  it("recognises the shipped console test events", () => {
    expect(parseJobEvent(event("scheduled"))).toEqual({ kind: "scheduled" });
    expect(parseJobEvent(event("dry-run"))).toEqual({ kind: "manual", dryRun: true });
    expect(parseJobEvent(event("release-one-unit"))).toEqual({
      kind: "manual",
      dryRun: false,
      only: ["unit-3fj9v0ke"],
    });
    expect(parseJobEvent(event("what-if-at"))).toEqual({
      kind: "manual",
      dryRun: true,
      now: "2026-11-23T20:30:00+08:00",
    });
    expect(parseJobEvent(event("chatops-request"))).toMatchObject({
      kind: "chatops",
      requestedBy: "slack:U024BE7LH",
      dryRun: true,
    });
  });

  it.each([
    [{ dryrun: true }, "unknown key(s) 'dryrun'; allowed: dryRun, only, now"],
    [{ only: "unit-1" }, "only: "],
    [{ only: [] }, "only: "],
    [{ now: "tomorrow" }, "now: "],
    [{ dryRun: "yes" }, "dryRun: "],
    [{ source: "qfhk.chatops", requestId: "r" }, "invalid chat-ops job request: requestedBy: "],
    [{ source: "qfhk.chatops", requestId: "r", requestedBy: "u", apply: true }, "unknown key(s) 'apply'"],
    [{ now: "2026-11-23T10:00:00+08:00" }, `now: 'now' (evaluate as of another moment) needs "dryRun": true`],
    [{ now: "2026-11-23T10:00:00+08:00", dryRun: false }, `needs "dryRun": true`],
    [
      { source: "qfhk.chatops", requestId: "r", requestedBy: "u", now: "2026-11-23T10:00:00Z" },
      `needs "dryRun": true`,
    ],
    [{ now: "2026-02-30T10:00:00+08:00", dryRun: true }, "now: expected a real ISO time"],
    [{ only: ["__proto__"] }, "only.0: "],
    [{ only: ["unit-1\u001b[2J"] }, "only.0: "],
  ])("refuses %j with a message naming the key", (bad, message) => {
    expect(() => parseJobEvent(bad)).toThrow(EventError);
    expect(() => parseJobEvent(bad)).toThrow(message);
  });

  it.each([["not json"], [42], [[{ dryRun: true }]], [true]])(
    "refuses %j: the event must be a JSON object",
    (bad) => {
      expect(() => parseJobEvent(bad)).toThrow(EventError);
      expect(() => parseJobEvent(bad)).toThrow("invalid event: the event must be a JSON object");
    },
  );

  it("takes an empty invocation as a manual run with the stage's settings", () => {
    expect(parseJobEvent(null)).toEqual({ kind: "manual" });
    expect(parseJobEvent(undefined)).toEqual({ kind: "manual" });
  });

  it("tells a doctor request apart, and refuses a malformed one naming the key", () => {
    expect(parseDoctorEvent(event("doctor"))).toEqual({ doctor: true });
    expect(parseDoctorEvent(event("dry-run"))).toBeUndefined();
    expect(() => parseDoctorEvent({ doctor: true, dryRun: false })).toThrow("unknown key(s) 'dryRun'");
    expect(() => parseDoctorEvent({ doctor: "yes" })).toThrow("invalid doctor request: doctor: ");
  });
});

describe("job handlers against the emulator", () => {
  let emulator: RunningEmulator;
  let dir: string;
  let env: Record<string, string>;
  const expired = (id: string) =>
    postpaidUnit(id, { releaseTime: "2026-11-22T00:00:00Z", autoReleaseSkipped: true });

  beforeEach(async () => {
    emulator = await emulatorWith({ computeUnits: [expired("unit-old-1"), expired("unit-old-2")] });
    dir = await mkdtemp(join(tmpdir(), "qfhk-handler-"));
    await writeFile(
      join(dir, "housekeeping.yml"),
      "version: 1\nstate: { kind: memory }\nguards: { maxFleetFraction: 1 }\n",
    );
    env = {
      QFHK_CONFIG: await compileBeside(join(dir, "housekeeping.yml")),
      QIANFAN_ACCESS_KEY: DEMO_CREDENTIALS.accessKeyId,
      QIANFAN_SECRET_KEY: DEMO_CREDENTIALS.secretAccessKey,
      QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
    };
  });
  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });
  const releases = () =>
    emulator.requestLog
      .filter((e) => e.action === "ReleaseComputeUnit" && e.status === 200)
      .map((e) => e.body);

  it("answers the doctor test event with the account's checks, changing nothing, even in a stage that applies", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" });
    const doctor = parseDoctorEvent(event("doctor"))!;
    const report = await handleDoctorEvent(doctor, deps, () => new Date());
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect(report.checks.find((c) => c.id === "signature")).toMatchObject({ status: "pass" });
    expect(report.checks.find((c) => c.id === "unit-fields")).toMatchObject({ status: "pass" });
    expect(report.ok).toBe(true);
    expect(emulator.requestLog.every((e) => e.action.startsWith("Describe"))).toBe(true);
    expect(releases()).toEqual([]);
  });

  it("runs dry on a schedule when neither the stage nor the config says otherwise", async () => {
    const report = await handleJobEvent("release-units", event("scheduled"), await jobDeps(env));
    expect(report.dryRun).toBe(true);
    expect(report.jobs[0]!.totals.planned).toBe(2);
    expect(releases()).toEqual([]);
  });

  it("applies on a schedule when the stage says QFHK_DRY_RUN=false", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" });
    const report = await handleJobEvent("release-units", event("scheduled"), deps);
    expect(report.dryRun).toBe(false);
    expect(releases()).toHaveLength(2);
  });

  it("acts on the selected unit only when a manual event names it in a stage that applies", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" });
    const one = await handleJobEvent("release-units", { dryRun: false, only: ["unit-old-2"] }, deps);
    expect(one.dryRun).toBe(false);
    expect(one.jobs[0]!.totals.done).toBe(1);
    expect(releases()).toEqual([{ instanceId: "unit-old-2" }]);
  });

  it("never acts wetter than the stage: dryRun false in an event leaves a dry stage dry", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "true" });
    const report = await handleJobEvent("release-units", { dryRun: false }, deps);
    expect(report.dryRun).toBe(true);
    expect(report.jobs[0]!.totals.planned).toBe(2);
    expect(releases()).toEqual([]);
  });

  it("answers a report too large to return without its decisions, saying so, its totals kept", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" });
    const dry = await handleJobEvent("release-units", { dryRun: true }, deps);
    expect(dry.jobs[0]!.decisions).toHaveLength(2);
    // The dry report is smaller than the real one, whose decisions carry their outcomes.
    expect(Buffer.byteLength(JSON.stringify(dry))).toBeGreaterThan(900);
    const report = await handleJobEvent("release-units", { dryRun: false }, { ...deps, maxAnswerBytes: 900 });
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThanOrEqual(900);
    const job = report.jobs[0]!;
    expect(job.totals.done).toBe(2);
    expect(job.decisions).toEqual([]);
    expect(job.warnings.at(-1)).toMatch(/^2 of 2 decisions are left out of this answer/);
    expect(releases()).toHaveLength(2);
  });

  it("lets an event make an applying stage's run dry", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" });
    const report = await handleJobEvent("release-units", event("dry-run"), deps);
    expect(report.dryRun).toBe(true);
    expect(releases()).toEqual([]);
  });

  it("records nothing for a what-if event evaluated as of another moment", async () => {
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" });
    const clock = () => new Date("2026-11-23T12:00:00Z");
    const whatIf = { dryRun: true, now: "2026-11-23T10:00:00+08:00" };
    const report = await handleJobEvent("release-units", whatIf, deps, undefined, clock);
    expect(report).toMatchObject({ whatIf: true, dryRun: true, recorded: false });
    expect(report.evaluatedAt).toBe("2026-11-23T02:00:00.000Z");
    expect(report.jobs[0]!.totals.planned).toBe(2);
    expect(releases()).toEqual([]);
    expect(await deps.store.listAudit()).toEqual([]);
    expect(await deps.store.list("marks:release-units")).toEqual([]);
    expect(await deps.store.get("run-memos", "release-units")).toBeUndefined();
  });

  it("runs a chat-ops job request, logging each action with who asked and publishing metrics", async () => {
    const lines: Array<{ level: string; message: string; extra?: Record<string, unknown> }> = [];
    const keys: Record<string, unknown> = {};
    const seen: Array<Record<string, unknown>> = [];
    const logger: RunLogger = {
      info: (message, extra) => lines.push({ level: "info", message, extra }),
      warn: (message, extra) => lines.push({ level: "warn", message, extra }),
      error: (message, extra) => lines.push({ level: "error", message, extra }),
      appendKeys: (k) => {
        Object.assign(keys, k);
        seen.push({ ...keys });
      },
      removeKeys: (names) => {
        for (const name of names) delete keys[name];
      },
    };
    const metrics: Array<[string, number]> = [];
    const recorder: RunMetrics = {
      addDimensions: () => {},
      addMetric: (name, _unit, value) => metrics.push([name, value]),
      publishStoredMetrics: () => {},
    };
    const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" }, { logger, metrics: recorder });
    const report = await handleJobEvent(
      "release-units",
      { ...event("chatops-request"), dryRun: false },
      deps,
    );
    expect(report.jobs[0]!.totals.done).toBe(2);
    expect(seen.at(-1)).toMatchObject({
      job: "release-units",
      trigger: "chatops",
      requestedBy: "slack:U024BE7LH",
      correlation_id: report.runId,
    });
    // The next invocation of the same container carries none of this request's keys.
    expect(keys).toEqual({});
    await handleJobEvent("release-units", event("scheduled"), deps);
    expect(seen.at(-2)).toEqual({ job: "release-units", trigger: "scheduled" });
    expect(seen.at(-1)).not.toHaveProperty("requestedBy");
    expect(seen.at(-1)).not.toHaveProperty("chatRequestId");
    expect(lines.filter((l) => l.message.startsWith("unit-old-"))).toHaveLength(2);
    expect(metrics).toContainEqual(["ActionsApplied", 2]);
    expect(metrics).toContainEqual(["ComputeUnitsReleased", 8]);
    expect(JSON.stringify(lines)).not.toContain(DEMO_CREDENTIALS.secretAccessKey);
  });

  it("does nothing on a bad event", async () => {
    await expect(handleJobEvent("release-units", { apply: true }, await jobDeps(env))).rejects.toThrow(
      "unknown key(s) 'apply'",
    );
    expect(emulator.requestLog).toEqual([]);
  });

  it("fails fast without keys or with a bad stage setting, naming what to set", async () => {
    await expect(jobDeps({ QFHK_CONFIG: env.QFHK_CONFIG! })).rejects.toThrow(
      "no Qianfan keys: set QFHK_SECRET_ARN (deployments) or QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY",
    );
    await expect(jobDeps({ ...env, QFHK_DRY_RUN: "maybe" })).rejects.toThrow(
      "QFHK_DRY_RUN must be true or false",
    );
  });

  it("picks up a rotated key from Secrets Manager after the platform refuses the old one", async () => {
    const secretValues = [
      JSON.stringify({ accessKey: DEMO_CREDENTIALS.accessKeyId, secretKey: "the-old-secret" }),
      JSON.stringify({
        accessKey: DEMO_CREDENTIALS.accessKeyId,
        secretKey: DEMO_CREDENTIALS.secretAccessKey,
      }),
    ];
    let reads = 0;
    const credentials = secretsManagerCredentials({
      secretId: "arn:aws-cn:secretsmanager:cn-north-1:1:secret:qfhk",
      client: { send: async () => ({ SecretString: secretValues[Math.min(reads++, 1)] }) },
    });
    const { QIANFAN_ACCESS_KEY: _a, QIANFAN_SECRET_KEY: _s, ...noKeys } = env;
    const report = await handleJobEvent(
      "release-units",
      event("dry-run"),
      await jobDeps(noKeys, { credentials }),
    );
    expect(report.jobs[0]!.status).toBe("ok");
    expect(reads).toBe(2);
    expect(emulator.requestLog.map((e) => e.code ?? e.status)).toEqual(["SignatureDoesNotMatch", 200]);
  });

  it("keeps its state in DynamoDB when the config names a table", async () => {
    const db = await startDynalite("qfhk-handler-state");
    try {
      await writeFile(
        join(dir, "housekeeping.yml"),
        "version: 1\nstate: { kind: dynamodb, table: qfhk-handler-state }\nguards: { maxFleetFraction: 1 }\n",
      );
      await compileBeside(join(dir, "housekeeping.yml"));
      const deps = await jobDeps({ ...env, QFHK_DRY_RUN: "false" }, { dynamoClient: db.client });
      expect(deps.store.constructor.name).toBe("DynamoDbStateStore");
      await handleJobEvent("release-units", { dryRun: false }, deps);
      const audit = await deps.store.listAudit();
      expect(audit.map((r) => r.resourceId).sort()).toEqual(["unit-old-1", "unit-old-2"]);
    } finally {
      await db.close();
    }
  });
});
