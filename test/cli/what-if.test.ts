import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import type { RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { FileStateStore, JobMemory } from "../../lib/state";
import { capture } from "../support/cli";
import { emulatorWith, postpaidUnit, T0 } from "../support/emulator";
import { type TempConfig, tempConfig } from "../support/temp-config";

const H = 3_600_000;

let setup: TempConfig;
let dir: string;
let config: string;
let statePath: string;
let emulator: RunningEmulator;

beforeEach(async () => {
  setup = await tempConfig("whatif", [
    "version: 1",
    "state: { kind: file, path: state.json }",
    "guards: { maxFleetFraction: 1 }",
    "jobs:",
    "  release-units: { minAge: 1h, idleFor: 2h, notice: { enabled: true, noticeFor: 1h } }",
    "  scale-services: { enabled: false }",
    "  tpm-windows: { enabled: false }",
    "  stop-batch-tasks: { enabled: false }",
  ]);
  ({ dir, config } = setup);
  statePath = join(dir, "state.json");
  emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-idle-a"), postpaidUnit("unit-idle-b")] });
});
afterEach(async () => {
  await emulator.close();
  await setup.remove();
});

const env = () => ({ QIANFAN_CONSOLE_API_BASE_URL: emulator.url });
const at = (date: Date) => () => date;
const releases = () => emulator.requestLog.filter((e) => e.action === "ReleaseComputeUnit");

async function qfhk(args: string[], clock: () => Date, extraEnv: Record<string, string> = {}) {
  const c = capture();
  const code = await main(args, c.io, { ...env(), ...extraEnv }, clock);
  return { code, out: c.out.join("\n"), err: c.err.join("\n") };
}

describe("a what-if (--now far from the clock) never writes", () => {
  it("a dry run as of an earlier instant leaves no idle mark, so the next real run waits the full idleFor", async () => {
    const clock = at(new Date(T0.getTime() + 3 * H));
    const whatIf = await qfhk(
      ["run", "release-units", "--config", config, "--now", T0.toISOString(), "--json"],
      clock,
    );
    expect(whatIf.code).toBe(0);
    const report = JSON.parse(whatIf.out) as RunReport;
    expect(report).toMatchObject({ whatIf: true, dryRun: true, recorded: false });
    expect(whatIf.err).toContain(
      "a what-if as of 2026-11-23 10:00:00 +08:00 (Asia/Shanghai) records nothing",
    );
    expect(existsSync(statePath)).toBe(false);

    const real = await qfhk(["run", "release-units", "--apply", "--config", config, "--json"], clock);
    expect(real.code).toBe(0);
    const decisions = (JSON.parse(real.out) as RunReport).jobs[0]!.decisions;
    expect(decisions.map((d) => d.rule)).toEqual(["idle-too-short", "idle-too-short"]);
    expect(decisions[0]!.reason).toBe("idle since 13:00 +08:00, 0s < 2h");
    expect(releases()).toEqual([]);
  });

  it("a what-if in the future gives no notice and remembers nothing, not even the run memo", async () => {
    const clock = at(T0);
    const later = new Date(T0.getTime() + 5 * H).toISOString();
    await qfhk(["run", "release-units", "--config", config, "--now", later], clock);
    expect(existsSync(statePath)).toBe(false);
    const plan = await qfhk(["plan", "release-units", "--config", config, "--now", later], clock);
    expect(plan.code).toBe(0);
    expect(plan.out.split("\n")[0]).toContain(
      "WHAT-IF (as of another moment: nothing is changed or recorded)",
    );
    expect(existsSync(statePath)).toBe(false);
  });

  it("refuses --apply with a --now more than a minute away, sending nothing", async () => {
    const clock = at(new Date(T0.getTime() + 2 * 60_000));
    const refused = await qfhk(
      ["run", "release-units", "--apply", "--config", config, "--now", T0.toISOString()],
      clock,
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("rehearse on an emulator with --simulate");
    expect(emulator.requestLog).toEqual([]);
    expect(existsSync(statePath)).toBe(false);
  });

  it("takes a --now within a minute of the clock as now: the run records", async () => {
    const clock = at(new Date(T0.getTime() + 30_000));
    const run = await qfhk(
      ["run", "release-units", "--apply", "--config", config, "--now", T0.toISOString()],
      clock,
    );
    expect(run.code).toBe(0);
    const marks = await new JobMemory(new FileStateStore(statePath, { clock: () => T0.getTime() })).getMarks(
      "release-units",
    );
    expect([...marks.keys()]).toEqual(["unit-idle-a", "unit-idle-b"]);
  });

  it("refuses a snooze or force-up as of another moment unless it is a rehearsal", async () => {
    const clock = at(new Date(T0.getTime() + 3 * H));
    for (const command of ["snooze", "force-up"]) {
      const refused = await qfhk(
        [command, "unit-idle-a", "1d", "--config", config, "--now", T0.toISOString()],
        clock,
      );
      expect(refused.code).toBe(2);
      expect(refused.err).toContain("is a what-if");
    }
    expect(existsSync(statePath)).toBe(false);
  });

  it.each([
    "2026-02-30T10:00:00Z",
    "2026-11-23T24:00:00Z",
    "2026-11-23T10:00:00",
    "2026-13-01T00:00:00Z",
    "2026-11-23T10:00:00+25:00",
    "yesterday",
  ])("refuses --now %s, exit 2", async (bad) => {
    const refused = await qfhk(["run", "release-units", "--config", config, "--now", bad], at(T0));
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("--now must be a real ISO time with a zone");
    expect(emulator.requestLog).toEqual([]);
  });
});

describe("a rehearsal (--simulate) acts and remembers as of the simulated instant", () => {
  it("releases after idleFor of simulated time, and the report and audit say simulated", async () => {
    const clock = at(new Date("2030-01-01T00:00:00Z"));
    const first = await qfhk(
      [
        "run",
        "release-units",
        "--apply",
        "--simulate",
        "--config",
        config,
        "--now",
        T0.toISOString(),
        "--json",
      ],
      clock,
    );
    expect(first.code).toBe(0);
    expect(JSON.parse(first.out)).toMatchObject({ simulated: true, recorded: true, dryRun: false });
    for (const hours of [2, 3]) {
      const t = new Date(T0.getTime() + hours * H);
      emulator.clock.set(t);
      const next = await qfhk(
        [
          "run",
          "release-units",
          "--apply",
          "--simulate",
          "--config",
          config,
          "--now",
          t.toISOString(),
          "--json",
        ],
        clock,
      );
      expect(next.code).toBe(0);
    }
    // Announced at T0+2h (notice 1h), released at T0+3h.
    expect(
      releases()
        .map((e) => (e.body as { instanceId: string }).instanceId)
        .sort(),
    ).toEqual(["unit-idle-a", "unit-idle-b"]);
    const store = new FileStateStore(statePath, { clock: () => T0.getTime() + 3 * H });
    const audit = await store.listAudit();
    expect(audit.map((r) => [r.action, r.resourceId, r.simulated]).sort()).toEqual([
      ["ReleaseComputeUnit", "unit-idle-a", true],
      ["ReleaseComputeUnit", "unit-idle-b", true],
      ["notice", "unit-idle-a", true],
      ["notice", "unit-idle-b", true],
    ]);
    // Audit times are simulated times, not the machine's 2030 clock.
    for (const record of audit) expect(Date.parse(record.at)).toBeLessThan(T0.getTime() + 4 * H);
    const history = await qfhk(["history", "--config", config], clock);
    expect(history.out).toContain("done (simulated)");
    const table = await qfhk(
      ["plan", "release-units", "--simulate", "--config", config, "--now", T0.toISOString()],
      clock,
    );
    expect(table.out.split("\n")[0]).toContain("SIMULATED DRY RUN (nothing is changed)");
  });

  it("is refused against an endpoint that is not an emulator on this machine", async () => {
    const refused = await qfhk(
      ["run", "release-units", "--simulate", "--config", config, "--now", T0.toISOString()],
      at(T0),
      {
        QIANFAN_CONSOLE_API_BASE_URL: "https://qianfan.example.com",
        QIANFAN_ACCESS_KEY: "ak",
        QIANFAN_SECRET_KEY: "sk",
      },
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("--simulate rehearses on an emulator only");
  });

  it("never writes to the deployed DynamoDB table", async () => {
    await writeFile(config, "version: 1\nstate: { kind: dynamodb, table: qfhk-prod-state }\n");
    const refused = await qfhk(
      ["run", "release-units", "--apply", "--simulate", "--config", config, "--now", T0.toISOString()],
      at(new Date("2030-01-01T00:00:00Z")),
      { AWS_REGION: "cn-north-1", AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9" },
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("--simulate never writes to DynamoDB table qfhk-prod-state");
    expect(releases()).toEqual([]);
    const snooze = await qfhk(
      ["snooze", "unit-idle-a", "1d", "--simulate", "--config", config, "--now", T0.toISOString()],
      at(new Date("2030-01-01T00:00:00Z")),
    );
    expect(snooze.code).toBe(2);
    expect(snooze.err).toContain("Rehearse on a copy: --state FILE");
  });

  it("rehearses on a copy of the state given with --state, leaving the configured one untouched", async () => {
    const copy = join(dir, "copy.json");
    const run = await qfhk(
      [
        "run",
        "release-units",
        "--apply",
        "--simulate",
        "--state",
        copy,
        "--config",
        config,
        "--now",
        T0.toISOString(),
      ],
      at(new Date("2030-01-01T00:00:00Z")),
    );
    expect(run.code).toBe(0);
    expect(run.err).toContain(
      `State: file ${copy} (simulated at 2026-11-23 10:00:00 +08:00 (Asia/Shanghai)).`,
    );
    expect(existsSync(copy)).toBe(true);
    expect(existsSync(statePath)).toBe(false);
  });
});

describe("which store a command uses", () => {
  it("says which store a snooze went to, and lists snoozes and force-ups", async () => {
    const clock = at(T0);
    const snooze = await qfhk(["snooze", "unit-idle-a", "3d", "--reason", "demo", "--config", config], clock);
    expect(snooze.out).toBe(
      `unit-idle-a snoozed until 2026-11-26 10:00 +08:00 (Asia/Shanghai): no job touches it before then (file ${statePath})`,
    );
    await qfhk(["force-up", "svco-chat", "4h", "--config", config], clock);
    const listed = await qfhk(["snoozes", "--config", config], clock);
    expect(listed.out.split("\n")).toEqual([
      expect.stringMatching(/^RESOURCE +KIND +UNTIL +BY +REASON$/),
      expect.stringMatching(/^svco-chat +force-up +2026-11-23 14:00 \+08:00 +cli +-$/),
      expect.stringMatching(/^unit-idle-a +snooze +2026-11-26 10:00 \+08:00 +cli +demo$/),
    ]);
    const history = await qfhk(["history", "--config", config, "--json"], clock);
    expect(JSON.parse(history.out).map((r: { action: string }) => r.action)).toEqual(["force-up", "snooze"]);
    const later = await qfhk(["snoozes", "--config", config], at(new Date(T0.getTime() + 5 * H)));
    expect(later.out).not.toContain("svco-chat");
  });

  it("writes a snooze typed with nothing configured to the config's store, and says where the demo's is", async () => {
    const c = capture();
    expect(await main(["snooze", "unit-idle-a", "1d", "--config", config], c.io, {}, at(T0))).toBe(0);
    expect(c.out.join()).toContain(`(file ${statePath})`);
    expect(c.err.join()).toContain(
      `qfhk run uses the built-in emulator and its own ${join(dir, "demo-state.json")}`,
    );
    expect(existsSync(join(dir, "demo-state.json"))).toBe(false);
  });

  it("refuses ids that are not resource ids and stores nothing", async () => {
    for (const id of [
      "__proto__",
      "constructor",
      "unit-1\u001b[2J",
      "unit\r\nfake",
      "-rf",
      "a".repeat(201),
    ]) {
      const refused = await qfhk(["snooze", id, "3d", "--config", config], at(T0));
      expect(refused.code).toBe(2);
      expect(refused.out).toBe("");
    }
    expect(existsSync(statePath)).toBe(false);
  });

  it("keeps the built-in emulator's runs in a demo file, and says so", async () => {
    const c = capture();
    const code = await main(["run", "release-units", "--config", config], c.io, {}, at(T0));
    expect(code).toBe(0);
    expect(c.err.join("\n")).toContain(`State: demo state file ${join(dir, "demo-state.json")}`);
    expect(existsSync(statePath)).toBe(false);
  });

  it("refuses a non-local endpoint without keys instead of signing with the demo pair", async () => {
    const refused = await qfhk(["units"], at(T0), {
      QIANFAN_CONSOLE_API_BASE_URL: "https://qianfan.baidubce.com",
    });
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("no Qianfan keys for https://qianfan.baidubce.com");
  });

  it("never echoes the password of a base URL with user info", async () => {
    const refused = await qfhk(["units"], at(T0), {
      QIANFAN_CONSOLE_API_BASE_URL: "https://user:hunter2@qianfan.example.com",
    });
    expect(refused.code).toBe(2);
    expect(refused.err).toContain("user info");
    expect(refused.err).not.toContain("hunter2");
    expect(await readFile(config, "utf8")).not.toContain("hunter2");
  });
});

describe("progress", () => {
  it("rewrites a progress line while actions run when stderr is a terminal, and never otherwise", async () => {
    const clock = at(T0);
    await writeFile(
      config,
      `${await readFile(config, "utf8")}\n`.replace("notice: { enabled: true, noticeFor: 1h }", "maxAge: 1d"),
    );
    const progress: string[] = [];
    const c = capture();
    const code = await main(
      ["run", "release-units", "--apply", "--config", config],
      { ...c.io, progress: (t: string) => progress.push(t) },
      env(),
      clock,
    );
    expect(code).toBe(0);
    expect(progress).toEqual(["release-units: 1/2 actions", "release-units: 2/2 actions", ""]);
    expect(c.err.join("\n")).not.toContain("actions");
  });
});
