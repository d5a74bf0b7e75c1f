import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

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
