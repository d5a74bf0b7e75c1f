import { dirname, join, resolve } from "node:path";
import { ConfigError, type LoadedConfig, readEnv } from "../config/runtime";
import type { StateStore } from "../state";
import { DynamoDbStateStore } from "../state/dynamodb-store";

/** Where remembered state lives. */
export type StateLocation =
  | { kind: "file"; path: string; demo: boolean }
  | { kind: "dynamodb"; table: string }
  | { kind: "memory" };

/**
 * Where the config and environment put remembered state — one rule for the deployed functions and
 * the CLI, so a snooze typed on the command line lands where the functions read: an explicit file
 * (`file`, else `QFHK_STATE_PATH`), then `QFHK_STATE_TABLE` or `state.kind: dynamodb`, then
 * memory, then `state.path`.
 */
export function locateState(
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
  file?: string,
): StateLocation {
  const { state } = loaded.config;
  const vars = readEnv(env);
  const explicit = file ?? vars.QFHK_STATE_PATH;
  if (explicit) return { kind: "file", path: resolve(explicit), demo: false };
  if (vars.QFHK_STATE_TABLE || state.kind === "dynamodb") {
    const table = vars.QFHK_STATE_TABLE ?? state.table;
    if (!table)
      throw new ConfigError([
        `${loaded.source}: state.table (or QFHK_STATE_TABLE) is required for DynamoDB state`,
      ]);
    return { kind: "dynamodb", table };
  }
  if (state.kind === "memory") return { kind: "memory" };
  return { kind: "file", path: loaded.statePath, demo: false };
}

/** The built-in emulator's own state file, beside the configured one: a demo never mixes with a real account. */
export function demoStatePath(loaded: LoadedConfig): string {
  return join(dirname(loaded.statePath), "demo-state.json");
}

/** {@link demoStatePath} as a location. */
export function demoStateLocation(loaded: LoadedConfig): StateLocation {
  return { kind: "file", path: demoStatePath(loaded), demo: true };
}

/** The location in words: "file /path/state.json", "DynamoDB table qfhk-prod-state", … */
export function describeStateLocation(location: StateLocation): string {
  if (location.kind === "file") return `${location.demo ? "demo state file" : "file"} ${location.path}`;
  if (location.kind === "dynamodb") return `DynamoDB table ${location.table}`;
  return "memory (state.kind: memory; forgotten when the command ends)";
}

/**
 * Opens the store at `location`; the AWS SDK is loaded only for DynamoDB. The file and memory
 * stores (local runs) are loaded when asked for: a deployed function never loads them.
 */
export async function openStateStore(
  location: StateLocation,
  loaded: LoadedConfig,
  options: { clock?: () => number; dynamoClient?: unknown } = {},
): Promise<StateStore> {
  const { clock } = options;
  if (location.kind === "file") {
    const { FileStateStore } = await import("../state/file-store");
    return new FileStateStore(location.path, { clock });
  }
  if (location.kind === "memory") {
    const { MemoryStateStore } = await import("../state/memory-store");
    return new MemoryStateStore({ clock });
  }
  return DynamoDbStateStore.open({
    table: location.table,
    auditRetentionMs: loaded.config.state.auditRetention,
    clock,
    ...(options.dynamoClient ? { client: options.dynamoClient as never } : {}),
  });
}
