import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compileConfig } from "../../lib/config";

/** A temporary folder with a housekeeping.yml of the given lines; `remove` deletes it all. */
export interface TempConfig {
  dir: string;
  config: string;
  remove(): Promise<void>;
}

/** Writes `lines` as housekeeping.yml in a fresh temporary folder named after `prefix`. */
export async function tempConfig(prefix: string, lines: string[]): Promise<TempConfig> {
  const dir = await mkdtemp(join(tmpdir(), `qfhk-${prefix}-`));
  const config = join(dir, "housekeeping.yml");
  await writeFile(config, lines.join("\n"));
  return { dir, config, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Compiles the YAML config at `yamlPath` as packaging does, beside it as housekeeping.json, and
 * returns that file's path: what a function's QFHK_CONFIG names.
 */
export async function compileBeside(yamlPath: string): Promise<string> {
  const { text } = await compileConfig(yamlPath);
  const target = join(dirname(yamlPath), "housekeeping.json");
  await writeFile(target, text);
  return target;
}
