import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { readEnv } from "../config";

/** The example config shipped with the project: the default when no housekeeping.yml exists. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL("../../housekeeping.example.yml", import.meta.url));

/** Which config file a command reads: the flag, QFHK_CONFIG, ./housekeeping.yml, else the example. */
export function resolveConfigPath(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag) return flag;
  const fromEnv = readEnv(env).QFHK_CONFIG;
  if (fromEnv) return fromEnv;
  return existsSync("housekeeping.yml") ? "housekeeping.yml" : EXAMPLE_CONFIG_PATH;
}
