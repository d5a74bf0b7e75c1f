/** Longest id a snooze or `--only` takes; platform ids are far shorter. */
const MAX_ID_LENGTH = 200;
/** Ids as the platform spells them (`unit-…`, `svco-…`, `task-…`), and `serviceId/instanceId` pairs. */
const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]*$/;
/** Names that mean something to every JavaScript object: never a key of remembered state. */
const RESERVED = new Set(["__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "valueOf"]);

/**
 * Checks an id typed by a person before it becomes a key of remembered state: letters, digits and
 * `. _ : @ / + -`, starting with a letter or digit, at most 200 characters, no control characters
 * and no name every object already has.
 */
export function checkResourceId(id: string): { ok: true } | { ok: false; problem: string } {
  const shown = JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id);
  if (id.length === 0) return { ok: false, problem: "the id is empty" };
  if (id.length > MAX_ID_LENGTH)
    return { ok: false, problem: `the id ${shown} is longer than ${MAX_ID_LENGTH} characters` };
  if (RESERVED.has(id)) return { ok: false, problem: `${shown} is not a resource id` };
  if (!RESOURCE_ID.test(id)) {
    return {
      ok: false,
      problem: `the id ${shown} is not a resource id: use letters, digits and . _ : @ / + - (starting with a letter or digit)`,
    };
  }
  return { ok: true };
}

/** Throws a RangeError naming the problem when `id` is not a usable resource id. */
export function assertResourceId(id: string): void {
  const check = checkResourceId(id);
  if (!check.ok) throw new RangeError(check.problem);
}
