import { dirname, join, resolve } from "node:path";
import { type LoadedConfig, readEnv } from "../config";
import { type Clock, millisecondsOf } from "../engine/clock";
import { FileStateStore, MemoryStateStore, type StateStore } from "../state";
import { UsageError } from "./io";

/** A state store with the words that tell a person which one it is. */
export interface OpenedStore {
  store: StateStore;
  kind: "file" | "memory" | "dynamodb";
  /** "file /path/state.json", "DynamoDB table qfhk-prod-state", … */
  description: string;
  /** The built-in emulator's own file, never the state of a real account. */
  demo: boolean;
}

export interface StoreChoice {
  /** The command runs on the built-in emulator (no keys, no endpoint): it keeps its own demo file. */
  builtInEmulator: boolean;
  /** `--state FILE`: a state file that wins over everything (a copy for a rehearsal). */
  stateFile?: string;
  /** The clock the store expires entries by (a rehearsal's simulated clock). */
  clock: Clock;
}

/**
 * The state store a command uses: exactly the one the deployed functions use for the same config
 * and environment (`--state`/`QFHK_STATE_PATH`, then `QFHK_STATE_TABLE` or `state.kind: dynamodb`,
 * then the config's file), except that a run on the built-in emulator keeps a demo file of its own
 * so a demo never mixes with what is remembered of a real account.
 */
export async function openStore(
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
  choice: StoreChoice,
): Promise<OpenedStore> {
  const { state } = loaded.config;
  const vars = readEnv(env);
  const clock = millisecondsOf(choice.clock);
  const file = (path: string, demo = false): OpenedStore => ({
    store: new FileStateStore(path, { clock, auditRetention: 5000 }),
    kind: "file",
    description: `${demo ? "demo state file" : "file"} ${path}`,
    demo,
  });
  const explicit = choice.stateFile ?? vars.QFHK_STATE_PATH;
  if (explicit) return file(resolve(explicit));
  if (choice.builtInEmulator) return file(join(dirname(loaded.statePath), "demo-state.json"), true);
  if (vars.QFHK_STATE_TABLE || state.kind === "dynamodb") {
    const table = vars.QFHK_STATE_TABLE ?? state.table;
    if (!table)
      throw new UsageError(
        `${loaded.source}: state.table (or QFHK_STATE_TABLE) is required for DynamoDB state`,
      );
    const { DynamoDbStateStore } = await import("../state/dynamodb-store");
    return {
      store: await DynamoDbStateStore.open({ table, auditRetentionMs: state.auditRetention, clock }),
      kind: "dynamodb",
      description: `DynamoDB table ${table}`,
      demo: false,
    };
  }
  if (state.kind === "memory") {
    return {
      store: new MemoryStateStore({ clock }),
      kind: "memory",
      description: "memory (state.kind: memory; forgotten when the command ends)",
      demo: false,
    };
  }
  return file(loaded.statePath);
}

/** A rehearsal may write only to a file or memory store: never to the deployed table. */
export function checkRehearsalStore(opened: OpenedStore): void {
  if (opened.kind === "dynamodb") {
    throw new UsageError(
      `--simulate never writes to ${opened.description}: the deployed functions read it. Rehearse on a copy: --state FILE (or QFHK_STATE_PATH)`,
    );
  }
}
