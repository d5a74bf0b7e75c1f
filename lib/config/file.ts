// Reading a config file, and the error every config problem is: shared by the YAML loader (load.ts)
// and the compiled config the functions read (compiled.ts), which needs no schema.
import { isUtf8 } from "node:buffer";
import { open } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import type { HousekeepingConfig } from "./schema";

/** The largest config file read: a real one is a few KiB; anything near this is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** Problems listed one by one; the rest are counted, so a huge bad file still gives a readable error. */
const MAX_PROBLEMS = 100;

/** A config file that cannot be used: every problem, each naming the file, line and key path. */
export class ConfigError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "ConfigError";
  override name = "ConfigError";
  readonly problems: string[];

  constructor(problems: string[], options?: { cause?: unknown }) {
    super(
      problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`,
      options,
    );
    this.problems = problems;
  }
}

/** A loaded config with where it came from. */
export interface LoadedConfig {
  config: HousekeepingConfig;
  /** The file, or the name given to {@link parseConfig}. */
  source: string;
  /** The state file's absolute path (relative paths resolve against the config's folder). */
  statePath: string;
  /** What is valid but worth a second look, each naming the file, line and key path. */
  warnings: string[];
}

/** The file's text: at most {@link MAX_CONFIG_BYTES} bytes are read, and they must be UTF-8. */
export async function readConfigText(path: string): Promise<string> {
  const cannotRead = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return new ConfigError([`${path}: cannot read the config file (${code})`], { cause: error });
  };
  let bytes: Buffer;
  try {
    const file = await open(path, "r");
    try {
      const stat = await file.stat();
      if (stat.isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
      if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) throw tooLarge(path, stat.size);
      // A pipe or device has no size up front: read one byte past the limit to know it is over.
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > MAX_CONFIG_BYTES) throw tooLarge(path, undefined);
      bytes = buffer.subarray(0, length);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw error instanceof ConfigError ? error : cannotRead(error);
  }
  if (!isUtf8(bytes)) {
    throw new ConfigError([
      `${path}:${firstNonUtf8Line(bytes)}: the file is not UTF-8 text; save it as UTF-8 (YAML's encoding)`,
    ]);
  }
  return new TextDecoder("utf-8").decode(bytes);
}

export function tooLarge(source: string, size: number | undefined): ConfigError {
  const what =
    size === undefined ? "more than 1 MiB" : `${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes)`;
  return new ConfigError([
    `${source}: the config file is ${what}; the limit is 1 MiB (${MAX_CONFIG_BYTES} bytes), so it was not read`,
  ]);
}

/** The line of the first bytes that are not UTF-8: a newline byte never occurs inside a UTF-8 sequence. */
function firstNonUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    if (newline === -1) break;
    line += 1;
    start = newline + 1;
  }
  return line;
}

/** The loaded config, with its state file resolved against `base` (the config file's path). */
export function loadedConfig(
  checked: { config: HousekeepingConfig; warnings: string[] },
  source: string,
  base: string,
): LoadedConfig {
  const { config, warnings } = checked;
  const statePath = isAbsolute(config.state.path)
    ? config.state.path
    : resolve(dirname(resolve(base)), config.state.path);
  return { config, source, statePath, warnings };
}

/** The first {@link MAX_PROBLEMS} problems, then how many more there are. */
export function capped(problems: string[], source: string): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    `${source}: … and ${problems.length - MAX_PROBLEMS} more problems`,
  ];
}
