// The config as the functions are packaged with it: JSON compiled from the stage's YAML file when
// packaging (build/validate-config.mjs), so a function needs no YAML parser. It is validated again
// when a function reads it: a file edited by hand is held to the same schema.
import { ConfigError, type LoadedConfig, loadedConfig, readConfigText, validateConfigData } from "./validate";

/** The file name packaging writes, and the functions read by default. */
export const COMPILED_CONFIG_PATH = "dist/housekeeping.json";

/** Characters a file name in a message may not hold. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The compiled file's text: the YAML file's data as written, and which file it was. */
export function compiledConfigText(data: unknown, compiledFrom: string): string {
  return `${JSON.stringify({ compiledFrom, config: data }, null, 2)}\n`;
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
): ReturnType<typeof validateConfigData> & { source: string; compiledFrom: string } {
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
    Object.keys(value).some((key) => key !== "compiledFrom" && key !== "config")
  ) {
    throw new ConfigError([
      `${path}: expected {"compiledFrom": "<the YAML file>", "config": {…}}, as packaging writes it`,
    ]);
  }
  const source = `${path} (compiled from ${from})`;
  return { ...validateConfigData(value.config, source), source, compiledFrom: from };
}

/**
 * Reads a compiled config (at most 1 MiB, UTF-8, as a YAML file). Relative state paths resolve
 * against the YAML file's folder, as the CLI resolves them.
 */
export async function loadCompiledConfig(path: string): Promise<LoadedConfig> {
  const parsed = parseCompiledConfig(await readConfigText(path), path);
  return loadedConfig(parsed, parsed.source, parsed.compiledFrom);
}
