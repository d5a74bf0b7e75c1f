// Validation of config data against the schema: the YAML file's (load.ts, the CLI and the
// packaging step, which compiles the validated config to the JSON the functions read).
import type * as z from "../validation";
import { ConfigError, capped } from "./file";
import { configAdvice, type HousekeepingConfig, HousekeepingConfigSchema } from "./schema";

/**
 * Validates config data against the schema: every problem, in the order of `lines` (key path →
 * line, when the data came from a file with lines), each naming the source, line and key path;
 * and what is valid but worth a second look, the same way.
 */
export function validateConfigData(
  data: unknown,
  source: string,
  lines: Map<string, number> = new Map(),
): { config: HousekeepingConfig; warnings: string[] } {
  const parsed = HousekeepingConfigSchema.safeParse(data, { reportInput: true });
  if (parsed.success) {
    const warnings = configAdvice(parsed.data).map(
      (advice) => locate(source, lines, advice.path.map(String), advice.message).text,
    );
    return { config: parsed.data, warnings };
  }
  // In the file's order, whatever order the schema checked the keys in.
  const described = parsed.error.issues
    .flatMap((issue) => describeIssue(issue, source, lines))
    .sort((a, b) => a.line - b.line);
  throw new ConfigError(
    capped(
      described.map((d) => d.text),
      source,
    ),
  );
}

/** One line per problem; an object with several unknown keys gives one line per key. */
function describeIssue(
  issue: z.core.$ZodIssue,
  source: string,
  lines: Map<string, number>,
): Array<{ line: number; text: string }> {
  const path = issue.path.map(String);
  const at = (keys: string[], message: string) => locate(source, lines, keys, message);
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) =>
      at([...path, key], "unknown key; check the spelling against housekeeping.schema.json"),
    );
  }
  if (issue.input === undefined && (issue.code === "invalid_type" || issue.code === "invalid_value")) {
    const expected = issue.code === "invalid_type" ? issue.expected : issue.values.map(String).join(" or ");
    return [at(path, `required key is missing (expected ${expected})`)];
  }
  return [at(path, issue.message)];
}

/** `file:line: key.path: message`, with the line of the key (or of its deepest parent present). */
export function locate(
  source: string,
  lines: Map<string, number>,
  keys: string[],
  message: string,
): { line: number; text: string } {
  const line = lineOf(lines, keys);
  return {
    line: line ?? 0,
    text: `${source}${line ? `:${line}` : ""}: ${keys.join(".") || "(top level)"}: ${message}`,
  };
}

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(lines: Map<string, number>, path: string[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const line = lines.get(path.slice(0, depth).join("\u0000"));
    if (line !== undefined) return line;
  }
  return undefined;
}
