import { readFile } from "node:fs/promises";
import fc from "fast-check";
import picomatch from "picomatch";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError, compileConfig, type HousekeepingConfig, parseCompiledConfig } from "../../lib/config";
import { compiledConfigText } from "../../lib/config/compiled";
import { type CompiledGlob, matcherOf } from "../../lib/config/glob";
import { compileGlob } from "../../lib/config/glob-compiler";
import { compileBeside, type TempConfig, tempConfig } from "../support/temp-config";

/** The matcher a function builds: the glob compiled when packaging, read back from the file's JSON. */
const packagedMatcher = (pattern: string) => {
  const { source, flags } = JSON.parse(JSON.stringify(compileGlob(pattern)));
  return matcherOf(pattern, new RegExp(source, flags));
};

/** Characters globs give meaning to, and a few plain ones. */
const GLOB_CHARS = [..."ab.-_/\\*?[]!^{},()|+@:1 "];
const NAME_CHARS = [..."ab.-_/\\*?1 "];
const pattern = fc.string({ unit: fc.constantFrom(...GLOB_CHARS), minLength: 1, maxLength: 12 });

/** A compiled file with its globs changed, as another version might have packaged it: digest and all. */
const repackaged = (file: {
  compiledFrom: string;
  config: HousekeepingConfig;
  warnings: string[];
  globs: Record<string, CompiledGlob>;
}) => compiledConfigText(file.config, file.warnings, file.compiledFrom, file.globs);

const problemsOf = (text: string) => {
  try {
    parseCompiledConfig(text, "dist/housekeeping.json");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

const CONFIG = [
  "version: 1",
  "jobs:",
  "  release-units:",
  "    protect:",
  "      - { instanceId: 'unit-prod-*', reason: production }",
  "  stop-batch-tasks:",
  "    limits:",
  "      - { name: 'nightly-*', maxRuntime: 2h }",
];

describe("globs compiled when packaging", () => {
  it("match exactly what picomatch.isMatch(name, glob, { dot: true }) matches", () => {
    fc.assert(
      fc.property(
        pattern,
        fc.array(
          fc.oneof(
            fc.string({ unit: fc.constantFrom(...NAME_CHARS), maxLength: 12 }),
            // Names near the glob, so that matches are common: itself, and with its wildcards filled.
            pattern,
          ),
          { maxLength: 8 },
        ),
        (glob, names) => {
          const matcher = packagedMatcher(glob);
          for (const name of [glob, glob.replace(/[*?]/g, "a"), glob.replace(/[^a-z.]/g, ""), ...names]) {
            expect(matcher(name), `'${name}' against '${glob}'`).toBe(
              picomatch.isMatch(name, glob, { dot: true }),
            );
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("keep picomatch's edge cases: dotfiles, an empty name, a glob its regex cannot hold", () => {
    expect(packagedMatcher("*-keep")(".hidden-keep")).toBe(true);
    expect(packagedMatcher("*")("")).toBe(false);
    // picomatch's regex for "{a" does not match "{a"; picomatch matches a name equal to the glob.
    expect(new RegExp(compileGlob("{a").source).test("{a")).toBe(false);
    expect(packagedMatcher("{a")("{a")).toBe(true);
    expect(packagedMatcher("!(unit-*)")("unit-1")).toBe(false);
    expect(packagedMatcher("!(unit-*)")("svc-1")).toBe(true);
  });
});

describe("the compiled config's globs", () => {
  let temp: TempConfig | undefined;
  afterEach(async () => {
    await temp?.remove();
    temp = undefined;
    vi.resetModules();
  });

  const compiledText = async () => {
    temp = await tempConfig("globs", CONFIG);
    return readFile(await compileBeside(temp.config), "utf8");
  };
  const SOURCE = "dist/housekeeping.json (compiled from ";

  it("holds every glob the config uses and the built-in ones, each compiled by picomatch", async () => {
    const { globs } = JSON.parse(await compiledText());
    expect(Object.keys(globs).sort()).toEqual(["*-keep", "nightly-*", "system*", "unit-prod-*"]);
    expect(globs["unit-prod-*"]).toEqual(compileGlob("unit-prod-*"));
  });

  it("are what the functions match with, with no glob compiler loaded", async () => {
    temp = await tempConfig("globs", CONFIG);
    const path = await compileBeside(temp.config);
    // Fresh modules: no YAML config was read, so no compiler was injected.
    vi.resetModules();
    const { loadCompiledConfig } = await import("../../lib/config/compiled");
    const { globMatcher } = await import("../../lib/config/glob");
    await loadCompiledConfig(path);
    expect(globMatcher("unit-prod-*")("unit-prod-7")).toBe(true);
    expect(globMatcher("unit-prod-*")("unit-dev-7")).toBe(false);
    expect(globMatcher("system*")("system-qianfan")).toBe(true);
    expect(() => globMatcher("other-*")).toThrow(
      "the glob 'other-*' was not compiled with the config; package the service again to compile it",
    );
  });

  it("refuses a file whose globs lack one the config uses, naming the key path", async () => {
    const file = JSON.parse(await compiledText());
    delete file.globs["nightly-*"];
    delete file.globs["system*"];
    const problems = problemsOf(repackaged(file));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain(SOURCE);
    expect(problems[0]).toMatch(
      /: globs\["system\*"\]: missing, the glob of \(built-in protections\)\.0\.creator; package the service again$/,
    );
    expect(problems[1]).toMatch(
      /: globs\["nightly-\*"\]: missing, the glob of jobs\.stop-batch-tasks\.limits\.0\.name; package the service again$/,
    );
  });

  it("refuses a regex that does not compile, one that keeps state, or an entry of another shape", async () => {
    const file = JSON.parse(await compiledText());
    file.globs["unit-prod-*"] = { source: "^(unit", flags: "" };
    file.globs["nightly-*"] = { source: "^nightly-", flags: "g" };
    file.globs["*-keep"] = "^.*-keep$";
    // Edited by hand, the digest refuses it first; packaged so, each glob is refused by name.
    expect(problemsOf(JSON.stringify(file))).toEqual([
      expect.stringContaining("changed since it was packaged (its digest does not match)"),
    ]);
    const problems = problemsOf(repackaged(file));
    expect(problems).toHaveLength(3);
    expect(problems.find((p) => p.includes('globs["unit-prod-*"]'))).toMatch(
      /: globs\["unit-prod-\*"\]: the regex does not compile \(.+\); package the service again$/,
    );
    for (const key of ['globs["nightly-*"]', 'globs["*-keep"]']) {
      expect(problems.find((p) => p.includes(key))).toContain(
        `${key}: expected {"source": "<regex>", "flags": ""}; package the service again`,
      );
    }
  });

  it("refuses at load a glob picomatch cannot compile, naming its line's key path", async () => {
    temp = await tempConfig("globs", [
      "version: 1",
      "jobs:",
      "  release-units:",
      `    protect: [{ instanceId: '${"*".repeat(70_000)}' }]`,
    ]);
    await expect(compileConfig(temp.config)).rejects.toThrow(
      `${temp.config}: jobs.release-units.protect.0.instanceId: not a glob picomatch can compile`,
    );
  });
});
