/**
 * Answers shaped unlike the documents: a field left out of every object of an action's result, as
 * an account or API version that does not send it would. Lets `qfhk doctor` and the jobs be tried
 * against a platform whose answers differ from what the library assumes.
 */
export interface DroppedField {
  /** The action's key in ACTIONS (e.g. `DescribeComputeUnits`); every action when absent. */
  action?: string;
  /** The field name, removed at any depth of `result`. */
  field: string;
}

/** Parses `Action:field` or `field` (the CLI's `--drop-field`). */
export function parseDroppedField(text: string): DroppedField | undefined {
  const at = text.lastIndexOf(":");
  const field = text.slice(at + 1);
  if (!/^[A-Za-z_][\w-]*$/.test(field)) return undefined;
  return at < 0 ? { field } : { action: text.slice(0, at), field };
}

/** `result` without the fields dropped for `action`; the original is not changed. */
export function withoutDroppedFields(
  result: unknown,
  action: string,
  dropped: readonly DroppedField[],
): unknown {
  const fields = new Set(
    dropped.filter((d) => d.action === undefined || d.action === action).map((d) => d.field),
  );
  if (fields.size === 0) return result;
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([key]) => !fields.has(key))
        .map(([key, inner]) => [key, strip(inner)]),
    );
  };
  return strip(result);
}
