import type { ActionName } from "../../qianfan/actions";
import type { EmulatorState } from "../state";
import { batchTaskHandlers } from "./batch-tasks";
import { computeUnitHandlers } from "./compute-units";
import type { ActionHandler } from "./request";
import { serviceResourceHandlers } from "./service-resources";
import { serviceHandlers } from "./services";
import { tpmHandlers } from "./tpm";

export type { ActionHandler } from "./request";

/** Every action of the shared action table; the type fails to check when one is missing. */
const HANDLERS: Record<ActionName, ActionHandler> = {
  ...computeUnitHandlers,
  ...serviceHandlers,
  ...serviceResourceHandlers,
  ...tpmHandlers,
  ...batchTaskHandlers,
};

/**
 * Runs one action: first the state changes the clock has made due, then the request's validation
 * and effect. Returns the answer's `result`; platform errors are thrown as EmulatorError.
 */
export function handleAction(state: EmulatorState, action: ActionName, body: unknown): unknown {
  state.settle();
  return HANDLERS[action](state, body);
}
