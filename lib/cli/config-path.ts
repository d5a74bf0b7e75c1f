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

/**
 * Said when a command falls back to the shipped example because no config was named and there is
 * no ./housekeeping.yml: runs then follow the example's rules, which are not yours.
 */
export function exampleConfigNote(
  flag: string | undefined,
  env: Record<string, string | undefined>,
): string | undefined {
  if (resolveConfigPath(flag, env) !== EXAMPLE_CONFIG_PATH || flag) return undefined;
  return "Config: housekeeping.example.yml, since there is no ./housekeeping.yml and QFHK_CONFIG is unset (cp housekeeping.example.yml housekeeping.yml, then edit it).";
}
