import {
  demoStateLocation,
  describeStateLocation,
  locateState,
  openStateStore,
  type StateLocation,
} from "../app/state-store";
import { type LoadedConfig, readEnv } from "../config";
import { type Clock, millisecondsOf } from "../engine/clock";
import type { StateStore } from "../state";
import { UsageError } from "./io";

/** A state store with the words that tell a person which one it is. */
export interface OpenedStore {
  store: StateStore;
  location: StateLocation;
  /** "file /path/state.json", "DynamoDB table qfhk-prod-state", … */
  description: string;
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
 * and environment ({@link locateState}), except that a run on the built-in emulator keeps a demo
 * file of its own unless a file is named explicitly.
 */
export async function openStore(
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
  choice: StoreChoice,
): Promise<OpenedStore> {
  const explicit = choice.stateFile ?? readEnv(env).QFHK_STATE_PATH;
  const location =
    choice.builtInEmulator && !explicit ? demoStateLocation(loaded) : locateState(loaded, env, explicit);
  const store = await openStateStore(location, loaded, { clock: millisecondsOf(choice.clock) });
  return { store, location, description: describeStateLocation(location) };
}

/** A rehearsal may write only to a file or memory store: never to the deployed table. */
export function checkRehearsalStore(opened: OpenedStore): void {
  if (opened.location.kind === "dynamodb") {
    throw new UsageError(
      `--simulate never writes to ${opened.description}: the deployed functions read it. Rehearse on a copy: --state FILE (or QFHK_STATE_PATH)`,
    );
  }
}
