import { setImmediate as nextTurn } from "node:timers/promises";

/**
 * How many items one turn of the event loop handles when a large listing is validated or planned:
 * about a few milliseconds of work, so the calls of the other jobs in a run (and their timers) go
 * on between the turns instead of waiting while ten thousand units are read.
 */
export const ITEMS_PER_TURN = 1000;

/**
 * Calls `visit` on each item in order, giving the event loop a turn after every `perTurn` items. The
 * items are visited exactly as a plain loop would; only other work can happen between the turns.
 */
export async function eachInTurns<T>(
  items: readonly T[],
  visit: (item: T, index: number) => void,
  perTurn = ITEMS_PER_TURN,
): Promise<void> {
  for (let index = 0; index < items.length; index += 1) {
    if (index > 0 && index % perTurn === 0) await nextTurn();
    visit(items[index]!, index);
  }
}
