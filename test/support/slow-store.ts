import type { StateStore } from "../../lib/state";

/**
 * `store`, whose first `get` waits `ms` before answering (and runs `meanwhile`, if given, while it
 * waits): the run reads its memo right after its listing, so the listing is that much older when
 * the run comes to act (a slow table), and `meanwhile` happened between the plan's listing and the action.
 */
export function slowFirstGet<S extends StateStore>(
  store: S,
  ms: number,
  meanwhile?: () => Promise<void> | void,
): S {
  let first = true;
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== "function") return value;
      if (name !== "get") return value.bind(target);
      return async (...args: unknown[]) => {
        if (first) {
          first = false;
          await Promise.all([new Promise((resolve) => setTimeout(resolve, ms)), meanwhile?.()]);
        }
        return value.apply(target, args);
      };
    },
  });
}
