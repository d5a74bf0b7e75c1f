import { describeFailure } from "./runner";
import type { ActionResult } from "./types";

export interface ConfirmOptions {
  attempts: number;
  delayMs: number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_CONFIRM: ConfirmOptions = { attempts: 3, delayMs: 1000 };

/**
 * After the platform accepted an action, looks at the resource until it shows the wanted state,
 * so the report says what the API then shows, not what was hoped ("success with no effect" is a
 * failure). `look` returns what it sees and whether that is the wanted state.
 */
export async function confirmAction(
  accepted: { requestId?: string; alreadyDone?: boolean },
  look: () => Promise<{ done: boolean; observed: string }>,
  what: string,
  options: ConfirmOptions = DEFAULT_CONFIRM,
): Promise<ActionResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let last = "nothing";
  for (let attempt = 1; attempt <= options.attempts; attempt += 1) {
    try {
      const seen = await look();
      if (seen.done) {
        return {
          status: "done",
          observed: seen.observed,
          requestId: accepted.requestId,
          alreadyDone: accepted.alreadyDone,
        };
      }
      last = seen.observed;
    } catch (error) {
      last = `an error (${describeFailure(error).message})`;
    }
    if (attempt < options.attempts) await sleep(options.delayMs);
  }
  return {
    status: "failed",
    code: "NotConfirmed",
    message: `the platform accepted the ${what} but then showed ${last}`,
    requestId: accepted.requestId,
  };
}
