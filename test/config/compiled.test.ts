import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  ConfigError,
  compileConfig,
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

  it("holds a hand-edited file to the schema, naming the file, its YAML source and the key path", () => {
    expect(
      problemsOf(compiled({ version: 1, jobs: { "release-units": { minAge: "0s", idelFor: "2h" } } })),
    ).toEqual([
      `${SOURCE}: jobs.release-units.minAge: "0s" is zero; this duration must be longer than that`,
      `${SOURCE}: jobs.release-units.idelFor: unknown key; check the spelling against housekeeping.schema.json`,
    ]);
    expect(problemsOf(compiled({ jobs: {} }))).toEqual([
      `${SOURCE}: version: required key is missing (expected 1)`,
    ]);
    expect(problemsOf(compiled({ version: 1, guards: { maxFleetFraction: 2 } }))).toEqual([
      `${SOURCE}: guards.maxFleetFraction: Too big: expected number to be <=1`,
    ]);
    // JSON.parse makes "__proto__" an own key: refused as any unknown key is.
    expect(
      problemsOf(
        `{"compiledFrom": "a.yml", "config": {"version": 1, "__proto__": {"dryRun": false}}, "globs": {}}`,
      ),
    ).toEqual([
      "dist/housekeeping.json (compiled from a.yml): __proto__: unknown key; check the spelling against housekeeping.schema.json",
    ]);
  });

  it("refuses a file that is not JSON or not what packaging writes", () => {
    expect(problemsOf("version: 1\n")).toEqual([
      "dist/housekeeping.json: not JSON; package the service again to compile it from the YAML config",
    ]);
    const shape = `dist/housekeeping.json: expected {"compiledFrom": "<the YAML file>", "config": {…}, "globs": {…}}, as packaging writes it; package the service again`;
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
