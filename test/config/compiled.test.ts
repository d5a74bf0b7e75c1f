import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  compileConfig,
  type HousekeepingConfig,
  loadCompiledConfig,
  loadConfig,
  parseCompiledConfig,
} from "../../lib/config";
import { compileBeside, type TempConfig, tempConfig } from "../support/temp-config";

const problemsOf = (text: string, path = "dist/housekeeping.json") => {
  try {
    parseCompiledConfig(text, path);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};
const compiled = (config: unknown) =>
  JSON.stringify({ compiledFrom: "ops/housekeeping.yml", config, globs: {} });
const SOURCE = "dist/housekeeping.json (compiled from ops/housekeeping.yml)";
/** The refusal of a compiled file whose digest does not match what it holds. */
const CHANGED = `${SOURCE}: changed since it was packaged (its digest does not match), so its changes were never validated; edit ops/housekeeping.yml and package the service again`;

/** A compiled file as packaging writes it. */
interface CompiledFile {
  compiledFrom: string;
  digest: string;
  config: HousekeepingConfig;
  warnings: string[];
  globs: Record<string, { source: string; flags: string }>;
}

describe("the compiled config the functions read", () => {
  let temp: TempConfig | undefined;
  afterEach(async () => {
    await temp?.remove();
    temp = undefined;
  });

  it("loads to the same config as the YAML file it was compiled from, with its warnings", async () => {
    const { text, warnings } = await compileConfig("housekeeping.example.yml");
    const fromYaml = await loadConfig("housekeeping.example.yml");
    const fromJson = parseCompiledConfig(text, "dist/housekeeping.json");
    expect(fromJson.config).toEqual(fromYaml.config);
    expect(warnings).toEqual(fromYaml.warnings);
    expect(JSON.parse(text).compiledFrom).toBe("housekeeping.example.yml");
  });

  it("resolves a relative state path against the YAML file's folder, as the CLI does", async () => {
    temp = await tempConfig("compiled", ["version: 1", "state: { path: state/here.json }"]);
    const loaded = await loadCompiledConfig(await compileBeside(temp.config));
    expect(loaded.statePath).toBe(join(temp.dir, "state/here.json"));
    expect(loaded.statePath).toBe((await loadConfig(temp.config)).statePath);
  });

  it("refuses to compile a YAML file the functions would refuse, naming its lines", async () => {
    temp = await tempConfig("compiled", ["version: 1", "jobs:", "  release-units:", "    minAge: 0s"]);
    await expect(compileConfig(temp.config)).rejects.toThrow(
      `${temp.config}:4: jobs.release-units.minAge: "0s" is zero; this duration must be longer than that`,
    );
  });

  it("refuses to compile a file that JSON grows past the 1 MiB a function reads", async () => {
    // 700 KB of quotes: valid YAML under the limit, twice that once JSON escapes each one.
    temp = await tempConfig("compiled", [
      "version: 1",
      "jobs:",
      "  release-units:",
      "    protect:",
      `      - { instanceId: unit-x, reason: '${'"'.repeat(700_000)}' }`,
    ]);
    expect((await loadConfig(temp.config)).config.jobs["release-units"].protect).toHaveLength(1);
    const error = await compileConfig(temp.config).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    const [problem, ...rest] = (error as ConfigError).problems;
    expect(rest).toEqual([]);
    expect(problem!.startsWith(`${temp.config}: compiled to JSON it is `)).toBe(true);
    expect(problem).toMatch(
      / is \d{7} bytes, over the 1 MiB \(1048576 bytes\) a function reads, so nothing was packaged; make the file smaller$/,
    );
  });

  it("refuses a file changed after packaging, whatever changed, naming the file and its YAML source", async () => {
    const { text } = await compileConfig("housekeeping.example.yml", "ops/housekeeping.yml");
    const edited = (edit: (file: CompiledFile) => void) => {
      const file = JSON.parse(text);
      edit(file);
      return problemsOf(JSON.stringify(file, null, 2));
    };
    const refused = [CHANGED];
    // Unchanged, or only laid out differently: the same values, so it loads.
    expect(edited(() => {})).toEqual([]);
    expect(problemsOf(JSON.stringify(JSON.parse(text)))).toEqual([]);
    expect(edited((f) => (f.config.dryRun = !f.config.dryRun))).toEqual(refused);
    // A value the schema would have refused never reaches a function.
    expect(edited((f) => (f.config.jobs["release-units"].minAge = 0))).toEqual(refused);
    expect(edited((f) => (f.config.guards.maxFleetFraction = 2))).toEqual(refused);
    expect(edited((f) => delete (f.config as Partial<HousekeepingConfig>).version)).toEqual(refused);
    expect(edited((f) => Object.assign(f.config.jobs["release-units"], { idelFor: "2h" }))).toEqual(refused);
    expect(edited((f) => (f.warnings = [...f.warnings, "added"]))).toEqual(refused);
    expect(edited((f) => (f.globs["system*"] = { source: "^.*$", flags: "" }))).toEqual(refused);
    expect(edited((f) => (f.digest = `sha256:${"0".repeat(64)}`))).toEqual(refused);
    // The file it names is part of what was packaged too.
    expect(edited((f) => (f.compiledFrom = "other.yml"))).toEqual([
      refused[0]!.replaceAll("ops/housekeeping.yml", "other.yml"),
    ]);
  });

  it("refuses a key added by hand, __proto__ as any other", async () => {
    const { text } = await compileConfig("housekeeping.example.yml", "ops/housekeeping.yml");
    const withProto = text.replace('"config": {', '"config": {"__proto__": {"dryRun": false},');
    expect(withProto).not.toBe(text);
    expect(problemsOf(withProto)).toEqual([CHANGED]);
  });

  it("carries the config as validation returned it, defaults filled in, with its warnings", async () => {
    temp = await tempConfig("compiled", [
      "version: 1",
      "jobs:",
      "  tpm-windows:",
      "    windows:",
      "      - { name: peak, model: not-a-listed-model, count: 1, schedule: 'Mon-Fri 09:00-12:00' }",
    ]);
    const { text, warnings } = await compileConfig(temp.config);
    const file = JSON.parse(text);
    const fromYaml = await loadConfig(temp.config);
    expect(file.config).toEqual(fromYaml.config);
    expect(file.config.dryRun).toBe(fromYaml.config.dryRun);
    expect(file.config.jobs["tpm-windows"].maxLivePurchaseCount).toBe(10);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("not-a-listed-model");
    expect(file.warnings).toEqual(warnings);
    expect(parseCompiledConfig(text, "dist/housekeeping.json").warnings).toEqual(fromYaml.warnings);
  });

  it("refuses a file that is not JSON or not what packaging writes", () => {
    expect(problemsOf("version: 1\n")).toEqual([
      "dist/housekeeping.json: not JSON; package the service again to compile it from the YAML config",
    ]);
    const shape = `dist/housekeeping.json: expected {"compiledFrom": "<the YAML file>", "digest": "sha256:…", "config": {…}, "warnings": […], "globs": {…}}, as packaging writes it; package the service again`;
    const whole = {
      compiledFrom: "a.yml",
      digest: "sha256:0",
      config: { version: 1 },
      warnings: [],
      globs: {},
    };
    for (const text of [
      "[]",
      '"text"',
      JSON.stringify({ version: 1 }),
      JSON.stringify({ compiledFrom: "a.yml", config: [], globs: {} }),
      JSON.stringify({ compiledFrom: "a\u001b[2J.yml", config: { version: 1 }, globs: {} }),
      JSON.stringify({ compiledFrom: "a.yml", config: { version: 1 }, globs: {}, extra: true }),
      // As an earlier version packaged it: no compiled globs.
      JSON.stringify({ compiledFrom: "a.yml", config: { version: 1 } }),
      JSON.stringify({ compiledFrom: "a.yml", config: { version: 1 }, globs: [] }),
      // As an earlier version packaged it: the data as written, validated again at cold start.
      JSON.stringify({ compiledFrom: "a.yml", config: { version: 1 }, globs: {} }),
      JSON.stringify({ ...whole, digest: 7 }),
      JSON.stringify({ ...whole, warnings: "none" }),
      JSON.stringify({ ...whole, warnings: [1] }),
      JSON.stringify({ ...whole, extra: true }),
    ]) {
      expect(problemsOf(text)).toEqual([shape]);
    }
  });

  it("reads at most 1 MiB, as the YAML loader does", async () => {
    temp = await tempConfig("compiled", ["version: 1"]);
    const path = join(temp.dir, "housekeeping.json");
    await writeFile(
      path,
      compiled({ version: 1, pricing: { perComputeUnitHour: {} } }).padEnd(1024 * 1024 + 1),
    );
    await expect(loadCompiledConfig(path)).rejects.toThrow("the limit is 1 MiB");
  });
});
