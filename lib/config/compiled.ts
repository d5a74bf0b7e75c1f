// The config as the functions are packaged with it: JSON compiled from the stage's YAML file when
// packaging (build/validate-config.mjs), so a function needs no YAML parser. It is validated again
// when a function reads it: a file edited by hand is held to the same schema. Beside the config it
// holds every glob the config uses compiled to a regular expression (`globs`, pattern → source
// and flags), so a function needs no glob compiler either.
import { type CompiledGlob, useCompiledGlobs } from "./glob";
import { globsUsedBy } from "./protection";
import type { HousekeepingConfig } from "./schema";
import { ConfigError, type LoadedConfig, loadedConfig, readConfigText, validateConfigData } from "./validate";

/** The file name packaging writes, and the functions read by default. */
export const COMPILED_CONFIG_PATH = "dist/housekeeping.json";

/** Characters a file name in a message may not hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Regex flags that keep state between tests (`lastIndex`): never picomatch's. */
const STATEFUL_FLAGS = /[gy]/;

/** The compiled file's text: the YAML file's data as written, which file it was, and its globs compiled. */
export function compiledConfigText(
  data: unknown,
  compiledFrom: string,
  globs: Readonly<Record<string, CompiledGlob>>,
): string {
  return `${JSON.stringify({ compiledFrom, config: data, globs }, null, 2)}\n`;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Reads and validates a compiled config's text. Problems name the file, the YAML file it was
 * compiled from and the key path (the lines are the YAML file's business: packaging checked them).
 */
export function parseCompiledConfig(
  text: string,
  path: string,
): ReturnType<typeof validateConfigData> & {
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
    !isRecord(value.config) ||
    !isRecord(value.globs) ||
    Object.keys(value).some((key) => key !== "compiledFrom" && key !== "config" && key !== "globs")
  ) {
    throw new ConfigError([
      `${path}: expected {"compiledFrom": "<the YAML file>", "config": {…}, "globs": {…}}, as packaging writes it; package the service again`,
    ]);
  }
  const source = `${path} (compiled from ${from})`;
  const checked = validateConfigData(value.config, source);
  return { ...checked, source, compiledFrom: from, globs: readGlobs(value.globs, checked.config, source) };
}

/**
 * The regex of every glob `config` uses, from the file's `globs`: a glob missing from it, or a
 * regex that does not compile, is a file packaged by another version or edited by hand.
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
