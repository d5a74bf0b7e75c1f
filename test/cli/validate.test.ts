import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import { capture } from "../support/cli";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "qfhk-validate-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = async (name: string, text: string | Buffer) => {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
};

describe("qfhk validate", () => {
  it("says FILE: ok and summarizes the shipped example", async () => {
    const c = capture();
    expect(await main(["validate", "housekeeping.example.yml"], c.io, {})).toBe(0);
    expect(c.out).toEqual([
      "housekeeping.example.yml: ok",
      expect.stringMatching(
        /^4 of 4 jobs enabled \(release-units, stop-batch-tasks, scale-services, tpm-windows\); 2 service bindings; 1 TPM window; state: file \/.*\/\.qfhk\/state\.json$/,
      ),
    ]);
    expect(c.err).toEqual([]);
  });

  it("summarizes disabled jobs, DynamoDB state and empty lists", async () => {
    const file = await write(
      "dynamo.yml",
      "version: 1\nstate: { kind: dynamodb, table: qfhk-state }\njobs:\n  tpm-windows: { enabled: false }\n  scale-services: { enabled: false }\n",
    );
    const c = capture();
    expect(await main(["validate", file], c.io, {})).toBe(0);
    expect(c.out).toEqual([
      `${file}: ok`,
      "2 of 4 jobs enabled (release-units, stop-batch-tasks); 0 service bindings; 0 TPM windows; state: dynamodb table qfhk-state",
    ]);
  });

  it("finds the file as the other commands do: --config, then QFHK_CONFIG, then the example", async () => {
    const file = await write("env.yml", "version: 1\n");
    const flag = capture();
    expect(await main(["validate", "--config", file], flag.io, {})).toBe(0);
    expect(flag.out[0]).toBe(`${file}: ok`);
    const env = capture();
    expect(await main(["validate"], env.io, { QFHK_CONFIG: file })).toBe(0);
    expect(env.out[0]).toBe(`${file}: ok`);
    const fallback = capture();
    expect(await main(["validate"], fallback.io, {})).toBe(0);
    expect(fallback.out[0]).toMatch(/\/housekeeping\.example\.yml: ok$/);
  });

  it("accepts a TPM model the docs no longer list, with a warning naming file, line and field; plan prints it too", async () => {
    const file = await write(
      "old-model.yml",
      'version: 1\njobs:\n  tpm-windows:\n    windows:\n      - { name: peak, model: ernie-3.5-8k, count: 2, schedule: "Mon-Fri 10:00-12:00" }\n',
    );
    const warning = `warning: ${file}:5: jobs.tpm-windows.windows.0.model: 'ernie-3.5-8k' is not among the models the PurchaseTPMResource docs listed on 2025-09-15; kept as written, and the platform's answer decides`;
    const c = capture();
    expect(await main(["validate", file], c.io, {})).toBe(0);
    expect(c.out[0]).toBe(`${file}: ok`);
    expect(c.err).toEqual([warning]);
    // The built-in emulator plays the platform, which no longer knows the model: its answer decides.
    const plan = capture();
    await main(["plan", "tpm-windows", "--config", file, "--state", join(dir, "state.json")], plan.io, {});
    expect(plan.err[0]).toBe(warning);
    expect(plan.out[0]).toMatch(
      /== tpm-windows: failed\nFAILED: DescribeTPMResource failed: \S+ \(HTTP 400\): model/,
    );
  });

  it("prints every problem on its own line, with file and line, and exits 2 without a stack", async () => {
    const file = await write(
      "bad.yml",
      'version: 1\ncalendar:\n  holidays: ["2026-02-30"]\njobs:\n  release-units:\n    idelFor: 2h\n    maxAge: 99999999999999w\n',
    );
    const c = capture();
    expect(await main(["validate", file], c.io, {})).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err).toEqual([
      `${file}:3: calendar.holidays.0: 2026-02-30 is not a real date`,
      `${file}:6: jobs.release-units.idelFor: unknown key; check the spelling against housekeeping.schema.json`,
      `${file}:7: jobs.release-units.maxAge: "99999999999999w" is longer than 3650d (ten years), the longest allowed`,
    ]);
  });

  it("exits 2 on a missing, oversized, non-UTF-8 or alias-bomb file, never with a stack trace", async () => {
    const bombLevels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (const name of "bcdefg") {
      const previous = String.fromCharCode(name.charCodeAt(0) - 1);
      bombLevels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
    }
    const files = [
      join(dir, "missing.yml"),
      await write("big.yml", `version: 1\n${"#".repeat(2 * 1024 * 1024)}\n`),
      await write("latin1.yml", Buffer.from("version: 1\ntimezone: caf\xe9\n", "latin1")),
      await write("bomb.yml", `version: 1\n${bombLevels.join("\n")}\n`),
      await write("deep.yml", `version: 1\nx: ${"[".repeat(100_000)}\n`),
    ];
    const messages = [
      /: cannot read the config file \(ENOENT\)$/,
      /: the config file is 2\.0 MiB \(2097164 bytes\); the limit is 1 MiB/,
      /:2: the file is not UTF-8 text/,
      /: YAML: the aliases expand to too much data/,
      /:2: collections nest more than 32 deep$/,
    ];
    for (const [i, file] of files.entries()) {
      const c = capture();
      expect(await main(["validate", file], c.io, {})).toBe(2);
      expect(c.err).toHaveLength(1);
      expect(c.err[0]!.startsWith(file)).toBe(true);
      expect(c.err[0]).toMatch(messages[i]!);
      expect(c.err.join("\n")).not.toMatch(/\n\s+at /);
    }
  });

  it("answers bad usage with exit code 2", async () => {
    const c = capture();
    expect(await main(["validate", "a.yml", "b.yml"], c.io, {})).toBe(2);
    expect(c.err).toEqual(["qfhk: qfhk validate takes at most one FILE"]);
    expect(await main(["validate", "a.yml", "--config", "b.yml"], capture().io, {})).toBe(2);
    expect(await main(["validate", "--bogus"], capture().io, {})).toBe(2);
  });

  it("is listed in the help, and its own help gives its usage", async () => {
    const c = capture();
    expect(await main(["help"], c.io, {})).toBe(0);
    expect(c.out[0]).toMatch(/^ {2}validate +check a config file/m);
    const own = capture();
    expect(await main(["help", "validate"], own.io, {})).toBe(0);
    expect(own.out[0]).toContain("qfhk validate [FILE] [--config FILE]");
  });
});
