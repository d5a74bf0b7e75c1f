import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import stringWidth from "string-width";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeAwsError } from "../../lib/cli/aws-errors";
import { main } from "../../lib/cli/main";
import { runEmulatorCommand } from "../../lib/emulator";
import { FileStateStore, JobMemory } from "../../lib/state";
import { capture } from "../support/cli";
import { emulatorWith, postpaidUnit, task } from "../support/emulator";

const exec = promisify(execFile);
/** Monday 2026-11-23 14:00 in Shanghai, 01:00 in New York. */
const NOON = new Date("2026-11-23T06:00:00Z");
const clock = () => NOON;

let dir: string;
let config: string;
let statePath: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "qfhk-output-"));
  config = join(dir, "housekeeping.yml");
  statePath = join(dir, "state.json");
  // The example's rules in a zone other than the example's, so that a label can only come from the config.
  const example = readFileSync("housekeeping.example.yml", "utf8");
  expect(example).toMatch(/^timezone: Asia\/Shanghai$/m);
  await writeFile(config, example.replace(/^timezone: Asia\/Shanghai$/m, "timezone: America/New_York"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `capture()` with a terminal of `columns` (undefined: a pipe). */
function terminal(columns?: number) {
  const c = capture();
  return { ...c, io: { ...c.io, columns } };
}

describe("tables fit the terminal", () => {
  it("keeps every line of a run report within 80 columns, and --wide shortens nothing", async () => {
    const narrow = terminal(80);
    expect(await main(["plan", "all", "--config", config], narrow.io, {}, clock)).toBe(0);
    const lines = narrow.out[0]!.split("\n");
    expect(lines.length).toBeGreaterThan(20);
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(80);

    const wide = terminal(80);
    expect(await main(["plan", "all", "--config", config, "--wide"], wide.io, {}, clock)).toBe(0);
    const text = wide.out[0]!;
    expect(text.split("\n").some((line) => stringWidth(line) > 80)).toBe(true);
    expect(text).not.toContain("…");
    // Every reason is whole on one line: the one of the expired unit, for instance.
    expect(text).toMatch(
      /unit-e5r1w7yz .* auto-release time [\d-]* ?\d\d:\d\d -05:00 passed \S+ ago and it is still Running/,
    );
  });

  it("wraps reasons rather than cutting them, so the narrow report says as much", async () => {
    const narrow = terminal(80);
    await main(["plan", "release-units", "--config", config], narrow.io, {}, clock);
    const lines = narrow.out[0]!.split("\n");
    const header = lines.find((line) => line.startsWith("RESOURCE"))!;
    const [from, to] = [header.indexOf("REASON"), header.indexOf("OUTCOME")];
    // The unit's row and the lines under it that carry on its cells, read down the REASON column.
    const row = lines.findIndex((line) => line.startsWith("unit-e5r1w7yz "));
    const end = lines.findIndex((line, i) => i > row && !line.startsWith(" "));
    const reason = lines
      .slice(row, end)
      .map((line) => line.slice(from, to).trim())
      .join(" ");
    expect(reason).toMatch(
      /^auto-release time [\d-]* ?\d\d:\d\d -05:00 passed \S+ ago and it is still Running$/,
    );
  });

  it("uses the whole width when stdout is not a terminal", async () => {
    const piped = terminal(undefined);
    await main(["plan", "all", "--config", config], piped.io, {}, clock);
    const wide = terminal(80);
    await main(["plan", "all", "--config", config, "--wide"], wide.io, {}, clock);
    expect(piped.out[0]!.replace(/^Run \S+/, "")).toBe(wide.out[0]!.replace(/^Run \S+/, ""));
  });

  it("fits inventory tables too, leaving out optional columns and saying so", async () => {
    const narrow = terminal(80);
    expect(await main(["units", "--config", config], narrow.io, {}, clock)).toBe(0);
    const lines = narrow.out[0]!.split("\n");
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(80);
    expect(lines.find((line) => line.startsWith("(left out to fit:"))).toContain("--wide shows them");
    const wide = terminal(80);
    await main(["units", "--config", config, "--wide"], wide.io, {}, clock);
    expect(wide.out[0]).toMatch(/^INSTANCE +REGION +TYPE +PAYMENT +STATUS +USED +CREATOR +STARTED/);
  });

  it("counts in words: 1 resource, 2 resources, 1 TPM instance", async () => {
    const c = terminal();
    await main(["plan", "all", "--config", config], c.io, {}, clock);
    expect(c.out[0]).toMatch(/^1 resource, /m);
    expect(c.out[0]).toMatch(/^2 resources, /m);
    expect(c.out[0]).not.toMatch(/\b1 resources\b|\(s\)/);
    const tpm = terminal();
    await main(["tpm", "--model", "ernie-speed-8k", "--config", config], tpm.io, {}, clock);
    expect(tpm.out[0]).toMatch(
      /\n\n(1 TPM instance|\d+ TPM instances) of ernie-speed-8k; times in America\/New_York$/,
    );
  });

  it("says a protection once, whatever words its reason is in", async () => {
    const c = terminal();
    await main(["plan", "release-units", "--config", config, "--wide"], c.io, {}, clock);
    expect(c.out[0]).not.toMatch(/protected by \S+ by /);
  });
});

describe("one time zone for people, ISO 8601 UTC for machines", () => {
  it("shows the run header and the reasons in the config's zone with its offset", async () => {
    const c = terminal();
    await main(["plan", "release-units", "--config", config], c.io, {}, clock);
    expect(c.out[0]!.split("\n")[0]).toContain("evaluated at 2026-11-23 01:00:00 -05:00 (America/New_York)");
    expect(c.out[0]).toMatch(/auto-release time [\d-]* ?\d\d:\d\d -05:00 passed/);
    const json = terminal();
    await main(["plan", "release-units", "--config", config, "--json"], json.io, {}, clock);
    expect(JSON.parse(json.out[0]!).evaluatedAt).toBe("2026-11-23T06:00:00.000Z");
  });

  it("confirms a snooze in the config's zone, stores it in UTC, and lists it in the zone", async () => {
    const c = terminal();
    const env = { QFHK_STATE_PATH: statePath };
    expect(await main(["snooze", "unit-3fj9v0ke", "3d", "--config", config], c.io, env, clock)).toBe(0);
    expect(c.out[0]).toBe(
      `unit-3fj9v0ke snoozed until 2026-11-26 01:00 -05:00 (America/New_York): no job touches it before then (file ${statePath})`,
    );
    const store = new FileStateStore(statePath, { clock: () => NOON.getTime() });
    const [snooze] = await new JobMemory(store).listSnoozes(NOON);
    expect(snooze?.until).toBe("2026-11-26T06:00:00.000Z");
    const listed = terminal();
    await main(["snoozes", "--config", config], listed.io, env, clock);
    expect(listed.out[0]).toMatch(/^unit-3fj9v0ke +snooze +2026-11-26 01:00 -05:00 +cli/m);
    const history = terminal();
    await main(["history", "--config", config], history.io, env, clock);
    expect(history.out[0]).toMatch(/^2026-11-23 01:00:00 -05:00 +cli +snooze +unit-3fj9v0ke/m);
  });

  it("shows a schedule's changes in the zone of the term that makes them", async () => {
    const c = terminal();
    await main(
      ["schedule", "explain", "Mon-Fri 09:00-17:00 Europe/Berlin, Sat 10:00-12:00", "--count", "12"],
      c.io,
      {},
      clock,
    );
    expect(c.out[0]).toContain("turns ON  Mon 2026-11-23 09:00 Europe/Berlin (in 2h)");
    expect(c.out[0]).toContain("turns ON  Sat 2026-11-28 10:00 Asia/Shanghai");
  });
});

describe("ids no listed resource has", () => {
  it("warns of a snooze for an id the endpoint does not list, and records it for when one appears", async () => {
    const emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-3fj9v0ke")] });
    try {
      const env = { QFHK_STATE_PATH: statePath, QIANFAN_CONSOLE_API_BASE_URL: emulator.url };
      const c = terminal();
      expect(await main(["snooze", "unit-3fj9v0kf", "1d", "--config", config], c.io, env, clock)).toBe(0);
      expect(c.err).toEqual([
        `warning: no compute unit, service or task on ${new URL(emulator.url).origin} has the id unit-3fj9v0kf (did you mean 'unit-3fj9v0ke'?); the snooze is recorded and holds once one does`,
      ]);
      const store = new FileStateStore(statePath, { clock: () => NOON.getTime() });
      const ids = (await new JobMemory(store).listSnoozes(NOON)).map((s) => s.resourceId);
      expect(ids).toContain("unit-3fj9v0kf");
      const known = terminal();
      expect(await main(["snooze", "unit-3fj9v0ke", "1d", "--config", config], known.io, env, clock)).toBe(0);
      expect(known.err).toEqual([]);
      const forced = terminal();
      await main(["force-up", "unit-3fj9v0ke", "1h", "--config", config], forced.io, env, clock);
      expect(forced.err).toEqual([
        "warning: unit-3fj9v0ke is not a service: a force-up keeps a scheduled service up and does nothing for it",
      ]);
    } finally {
      await emulator.close();
    }
  });

  it("checks no id against the built-in emulator's demo fleet, which says nothing of real ids", async () => {
    const c = terminal();
    expect(
      await main(
        ["snooze", "unit-real-1", "1d", "--config", config],
        c.io,
        { QFHK_STATE_PATH: statePath },
        clock,
      ),
    ).toBe(0);
    expect(c.err.join("\n")).not.toContain("warning");
  });

  it("warns of an --only id that selects nothing", async () => {
    const c = terminal();
    expect(
      await main(["plan", "release-units", "--only", "unit-nope", "--config", config], c.io, {}, clock),
    ).toBe(0);
    expect(c.err).toContainEqual(
      "warning: --only unit-nope: no resource this run listed has that id, so it selects nothing",
    );
    const known = terminal();
    await main(["plan", "release-units", "--only", "unit-e5r1w7yz", "--config", config], known.io, {}, clock);
    expect(known.err.join("\n")).not.toContain("--only");
  });

  it.each([
    ["400d", "qfhk snooze: 400d is longer than a year (365d), the most a snooze lasts"],
    ["53w", "qfhk snooze: 53w is longer than a year (365d)"],
    ["0s", "qfhk snooze: a snooze must last longer than 0s"],
    ["-1d", "qfhk snooze: a snooze must last longer than zero, got '-1d'"],
    ["soon", "qfhk snooze: 'soon' is not a length of time; give one such as 90m, 12h, 3d or 2w"],
  ])("refuses a snooze of %s, storing nothing", async (length, said) => {
    const path = join(dir, `refused-${length}.json`);
    const c = terminal();
    expect(
      await main(["snooze", "unit-a", length, "--config", config], c.io, { QFHK_STATE_PATH: path }, clock),
    ).toBe(2);
    expect(c.err[0]).toContain(said);
    const store = new FileStateStore(path, { clock: () => NOON.getTime() });
    expect(await new JobMemory(store).listSnoozes(NOON)).toEqual([]);
  });

  it("accepts a snooze of exactly a year", async () => {
    const c = terminal();
    const code = await main(
      ["snooze", "unit-a", "365d", "--config", config],
      c.io,
      { QFHK_STATE_PATH: statePath },
      clock,
    );
    expect(code).toBe(0);
  });
});

describe("qfhk emulator", () => {
  it("serves the demo fleet when no --fleet is given", async () => {
    const c = capture();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runEmulatorCommand(["--port", "0"], c.io, {}, stopped);
    await expect
      .poll(() => c.out.some((l) => l.includes("QIANFAN_CONSOLE_API_BASE_URL=")), { timeout: 30_000 })
      .toBe(true);
    expect(c.out[0]).toMatch(
      /^Qianfan emulator listening at http:\/\/127\.0\.0\.1:\d+ with fleet \S*fleets\/demo-fleet\.json$/,
    );
    const url = /QIANFAN_CONSOLE_API_BASE_URL=(\S+)/.exec(c.out.join("\n"))![1]!;
    const units = capture();
    expect(await main(["units", "--json"], units.io, { QIANFAN_CONSOLE_API_BASE_URL: url })).toBe(0);
    expect(JSON.parse(units.out[0]!).map((u: { instanceId: string }) => u.instanceId)).toContain(
      "unit-e5r1w7yz",
    );
    stop();
    expect(await running).toBe(0);
  });
});

describe("AWS errors in the CLI's words", () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });

  it.each([
    [new Error("Region is missing"), "no AWS region for the DynamoDB state table: set AWS_REGION"],
    [
      named("CredentialsProviderError", "Could not load credentials from any providers"),
      "no AWS credentials",
    ],
    [named("ExpiredTokenException", "The security token included in the request is expired"), "expired"],
    [named("ResourceNotFoundException", "Requested resource not found"), "does not exist in this region"],
  ])("%s", (error, said) => {
    expect(describeAwsError(error)).toContain(said);
  });

  it("leaves other errors alone", () => {
    expect(describeAwsError(new Error("boom"))).toBeUndefined();
    expect(describeAwsError("text")).toBeUndefined();
  });

  it("says to set AWS_REGION, with no stack and no Node-version warning from the SDK", async () => {
    const ddb = join(dir, "ddb.yml");
    await writeFile(ddb, "version: 1\nstate: { kind: dynamodb, table: qfhk-dev-state }\n");
    const env: Record<string, string | undefined> = {
      ...process.env,
      HOME: dir,
      AWS_EC2_METADATA_DISABLED: "true",
    };
    for (const name of Object.keys(env))
      if (
        /^(AWS_REGION|AWS_DEFAULT_REGION|AWS_PROFILE|AWS_SDK_JS_|QIANFAN_)/.test(name) ||
        (name.startsWith("QFHK_") && !name.startsWith("QFHK_TEST_"))
      )
        delete env[name];
    const failed = await exec(process.execPath, ["bin/qfhk.mjs", "snoozes", "--config", ddb], {
      env,
      timeout: 120_000,
    }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr.trim()).toBe(
      "qfhk: no AWS region for the DynamoDB state table: set AWS_REGION (e.g. cn-north-1) or AWS_PROFILE with a region (or --state FILE for a local state file)",
    );
  });
});

describe("the configured pace", () => {
  it("holds for every command that reads the platform: listings and snoozes, not only runs", async () => {
    // 250 tasks: three pages. At 2 requests/s every request starts at least 0.5 s after the last;
    // at the default pace they would follow each other within tens of milliseconds.
    const arrivals: number[] = [];
    const emulator = await emulatorWith(
      {
        computeUnits: [postpaidUnit("unit-3fj9v0ke")],
        batchTasks: Array.from({ length: 250 }, (_, i) => task(`task-${String(i).padStart(3, "0")}`)),
      },
      { onRequest: () => arrivals.push(performance.now()) },
    );
    const paced = join(dir, "paced.yml");
    await writeFile(paced, "version: 1\nqianfan: { requestsPerSecond: 2 }\n");
    try {
      const env = {
        QFHK_STATE_PATH: join(dir, "paced-state.json"),
        QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
      };
      for (const args of [["tasks"], ["snooze", "task-001", "1h"]]) {
        arrivals.length = 0;
        const c = terminal();
        expect(await main([...args, "--config", paced], c.io, env, clock), c.err.join("\n")).toBe(0);
        expect(arrivals.length, args.join(" ")).toBeGreaterThanOrEqual(3);
        const gaps = arrivals.slice(1).map((t, i) => t - arrivals[i]!);
        // 2 × 0.975 a second: 513 ms apart as sent, less a little for how answers arrive.
        expect(Math.min(...gaps), args.join(" ")).toBeGreaterThan(400);
      }
    } finally {
      await emulator.close();
    }
  });
});
