import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildJobHandlerDeps, EventError, handleJobEvent, parseJobEvent } from "../../lib/app/lambda";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { emulatorWith, postpaidUnit } from "../support/emulator";

const event = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, "utf8"));

describe("parseJobEvent", () => {
  it("recognises the shipped console test events", () => {
    expect(parseJobEvent(event("scheduled"))).toEqual({ kind: "scheduled" });
    expect(parseJobEvent(event("release-units-dry-run"))).toEqual({ kind: "manual", dryRun: true });
    expect(parseJobEvent(event("release-units-only"))).toEqual({
      kind: "manual",
      dryRun: false,
      only: ["unit-3fj9v0ke"],
    });
  });

  it.each([
    [{ dryrun: true }, "unknown key(s) 'dryrun'; allowed: dryRun, only, now"],
    [{ only: "unit-1" }, "only: "],
    [{ now: "tomorrow" }, "now: "],
    [{ dryRun: "yes" }, "dryRun: "],
  ])("refuses %j with a message naming the key", (bad, message) => {
    expect(() => parseJobEvent(bad)).toThrow(EventError);
    expect(() => parseJobEvent(bad)).toThrow(message);
  });
});

describe("the release-units handler against the emulator", () => {
  let emulator: RunningEmulator;
  let dir: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    emulator = await emulatorWith({
      computeUnits: [
        postpaidUnit("unit-old-1", { releaseTime: "2026-11-22T00:00:00Z", autoReleaseSkipped: true }),
        postpaidUnit("unit-old-2", { releaseTime: "2026-11-22T00:00:00Z", autoReleaseSkipped: true }),
      ],
    });
    dir = await mkdtemp(join(tmpdir(), "qfhk-handler-"));
    await writeFile(
      join(dir, "housekeeping.yml"),
      "version: 1\nstate: { kind: memory }\nguards: { maxFleetFraction: 1 }\n",
    );
    env = {
      QFHK_CONFIG: join(dir, "housekeeping.yml"),
      QIANFAN_ACCESS_KEY: DEMO_CREDENTIALS.accessKeyId,
      QIANFAN_SECRET_KEY: DEMO_CREDENTIALS.secretAccessKey,
      QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
    };
  });
  afterEach(async () => {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs dry on a schedule when the config does not say dryRun: false", async () => {
    const deps = await buildJobHandlerDeps(env);
    const report = await handleJobEvent("release-units", event("scheduled"), deps);
    expect(report.dryRun).toBe(true);
    expect(report.jobs[0]!.totals.planned).toBe(2);
    expect(emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit")).toEqual([]);
  });

  it("acts on the selected unit only when a manual event says dryRun: false", async () => {
    const deps = await buildJobHandlerDeps(env);
    const report = await handleJobEvent(
      "release-units",
      { dryRun: false, only: ["unit-old-2"], now: "2026-11-23T10:00:00+08:00" },
      deps,
    );
    expect(report.evaluatedAt).toBe("2026-11-23T02:00:00.000Z");
    expect(emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit").map((e) => e.body)).toEqual([
      { instanceId: "unit-old-2" },
    ]);
    expect(JSON.parse(JSON.stringify(report)).jobs[0].totals.done).toBe(1);
  });

  it("does nothing on a bad event", async () => {
    const deps = await buildJobHandlerDeps(env);
    await expect(handleJobEvent("release-units", { apply: true }, deps)).rejects.toThrow(
      "unknown key(s) 'apply'",
    );
    expect(emulator.requestLog).toEqual([]);
  });

  it("fails fast without credentials, naming the variables", async () => {
    await expect(buildJobHandlerDeps({ QFHK_CONFIG: env.QFHK_CONFIG! })).rejects.toThrow(
      "QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY are not set",
    );
  });
});
