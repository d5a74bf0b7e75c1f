// The config as the functions are packaged with it: JSON compiled from the stage's YAML file when
// packaging (build/validate-config.mjs), so a function needs no YAML parser. Packaging validates
// the YAML file against the schema and writes the config as the schema returned it (defaults
// filled in), its warnings, and a SHA-256 digest of them; a function checks the digest instead of
// validating again, so it needs neither the schema nor its validator. A file changed after
// packaging (edited by hand, cut short) no longer matches its digest and is refused: its changes
// were never validated. Beside the config it holds every glob the config uses compiled to a
// regular expression (`globs`, pattern → source and flags), so a function needs no glob compiler.
import { createHash } from "node:crypto";
import { ConfigError, type LoadedConfig, loadedConfig, readConfigText } from "./file";
import { type CompiledGlob, useCompiledGlobs } from "./glob";
import { globsUsedBy } from "./protection";
import type { HousekeepingConfig } from "./schema";

/** The file name packaging writes, and the functions read by default. */
export const COMPILED_CONFIG_PATH = "dist/housekeeping.json";

/** Characters a file name in a message may not hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Regex flags that keep state between tests (`lastIndex`): never picomatch's. */
const STATEFUL_FLAGS = /[gy]/;

/** The keys of a compiled file, in the order packaging writes them. */
const KEYS = ["compiledFrom", "digest", "config", "warnings", "globs"];

/** What the digest covers: everything in the file but the digest, in one fixed order. */
function digestOf(
  compiledFrom: string,
  config: unknown,
  warnings: unknown,
  globs: Readonly<Record<string, unknown>>,
): string {
  const body = JSON.stringify([compiledFrom, config, warnings, globs]);
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

/**
 * The compiled file's text: the config as validation returned it, its warnings, which file it was
 * compiled from, its globs compiled, and the digest of them all.
 */
export function compiledConfigText(
  config: HousekeepingConfig,
  warnings: readonly string[],
  compiledFrom: string,
  globs: Readonly<Record<string, CompiledGlob>>,
): string {
  const digest = digestOf(compiledFrom, config, warnings, globs);
  return `${JSON.stringify({ compiledFrom, digest, config, warnings, globs }, null, 2)}\n`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Reads a compiled config's text and checks it is the file packaging wrote: its shape, its digest,
 * and its globs' regexes. Problems name the file and the YAML file it was compiled from.
 */
export function parseCompiledConfig(
  text: string,
  path: string,
): {
  config: HousekeepingConfig;
  warnings: string[];
  source: string;
  compiledFrom: string;
  /** Every glob the config uses, with its regex. */
  globs: Map<string, RegExp>;
} {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8's message quotes the text around the mistake, line breaks and all: not repeated here.
    throw new ConfigError(
      [`${path}: not JSON; package the service again to compile it from the YAML config`],
      { cause: error },
    );
  }
  const from = isRecord(value) ? value.compiledFrom : undefined;
  if (
    !isRecord(value) ||
    typeof from !== "string" ||
    from === "" ||
    from.length > 1024 ||
    CONTROL.test(from) ||
    typeof value.digest !== "string" ||
    !isRecord(value.config) ||
    !Array.isArray(value.warnings) ||
    !value.warnings.every((warning) => typeof warning === "string") ||
    !isRecord(value.globs) ||
    Object.keys(value).some((key) => !KEYS.includes(key))
  ) {
    throw new ConfigError([
      `${path}: expected {"compiledFrom": "<the YAML file>", "digest": "sha256:…", "config": {…}, "warnings": […], "globs": {…}}, as packaging writes it; package the service again`,
    ]);
  }
  const source = `${path} (compiled from ${from})`;
  if (digestOf(from, value.config, value.warnings, value.globs) !== value.digest) {
    throw new ConfigError([
      `${source}: changed since it was packaged (its digest does not match), so its changes were never validated; edit ${from} and package the service again`,
    ]);
  }
  // Validated by the schema when it was packaged, and unchanged since.
  const config = value.config as unknown as HousekeepingConfig;
  const warnings = value.warnings as string[];
  return { config, warnings, source, compiledFrom: from, globs: readGlobs(value.globs, config, source) };
}

/**
 * The regex of every glob `config` uses, from the file's `globs`: a glob missing from it, or a
 * regex that does not compile, is a file packaged by another version.
 */
function readGlobs(
  globs: Record<string, unknown>,
  config: HousekeepingConfig,
  source: string,
): Map<string, RegExp> {
  const regexes = new Map<string, RegExp>();
  const problems: string[] = [];
  for (const { pattern, path } of globsUsedBy(config)) {
    if (regexes.has(pattern)) continue;
    const key = `globs[${JSON.stringify(pattern)}]`;
    const entry = Object.hasOwn(globs, pattern) ? globs[pattern] : undefined;
    if (entry === undefined) {
      problems.push(`${source}: ${key}: missing, the glob of ${path}; package the service again`);
      continue;
    }
    const { source: regexSource, flags } = isRecord(entry) ? entry : {};
    if (
      typeof regexSource !== "string" ||
      typeof flags !== "string" ||
      STATEFUL_FLAGS.test(flags) ||
      Object.keys(entry as object).some((k) => k !== "source" && k !== "flags")
    ) {
      problems.push(
        `${source}: ${key}: expected {"source": "<regex>", "flags": ""}; package the service again`,
      );
      continue;
    }
    try {
      regexes.set(pattern, new RegExp(regexSource, flags));
    } catch (error) {
      problems.push(
        `${source}: ${key}: the regex does not compile (${(error as Error).message}); package the service again`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return regexes;
}

/**
 * Reads a compiled config (at most 1 MiB, UTF-8, as a YAML file). Relative state paths resolve
 * against the YAML file's folder, as the CLI resolves them.
 */
export async function loadCompiledConfig(path: string): Promise<LoadedConfig> {
  const parsed = parseCompiledConfig(await readConfigText(path), path);
  useCompiledGlobs(parsed.globs);
  return loadedConfig(parsed, parsed.source, parsed.compiledFrom);
}
