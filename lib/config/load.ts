import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { type HousekeepingConfig, HousekeepingConfigSchema } from "./schema";

/** A config file that cannot be used: every problem, each naming the file, line and key path. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: string[];

  constructor(problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

/** A loaded config with where it came from. */
export interface LoadedConfig {
  config: HousekeepingConfig;
  /** The file, or the name given to {@link parseConfig}. */
  source: string;
  /** The state file's absolute path (relative paths resolve against the config's folder). */
  statePath: string;
}

/** Reads and validates a `housekeeping.yml`. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError([`${path}: cannot read the config file (${code ?? String(error)})`]);
  }
  const config = parseConfig(text, path);
  const statePath = isAbsolute(config.state.path)
    ? config.state.path
    : resolve(dirname(resolve(path)), config.state.path);
  return { config, source: path, statePath };
}

/**
 * Parses and validates config text. YAML errors give line and column; schema errors give the key
 * path and the line; unknown keys are errors; all problems are listed, not only the first.
 */
export function parseConfig(text: string, source: string): HousekeepingConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return `${source}${pos ? `:${pos.line}:${pos.col}` : ""}: YAML: ${e.message.split("\n")[0]}`;
      }),
    );
  }
  const data = doc.toJS() ?? {};
  const parsed = HousekeepingConfigSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.flatMap((issue) => describeIssue(issue, source, doc, lineCounter)),
  );
}

/** One line per problem; an object with several unknown keys gives one line per key. */
function describeIssue(
  issue: z.core.$ZodIssue,
  source: string,
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
): string[] {
  const path = issue.path.map(String);
  const at = (keys: string[], message: string) => {
    const line = lineOf(doc, lineCounter, keys);
    return `${source}${line ? `:${line}` : ""}: ${keys.join(".") || "(top level)"}: ${message}`;
  };
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

/** The line of the deepest node of `path` that exists in the document. */
function lineOf(
  doc: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: string[],
): number | undefined {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const keys = path.slice(0, depth).map((k) => (/^\d+$/.test(k) ? Number(k) : k));
    const parent = depth > 0 ? doc.getIn(keys.slice(0, -1), true) : undefined;
    if (depth > 0 && isMap(parent)) {
      const pair = parent.items.find((p) => (p.key as { value?: unknown } | null)?.value === keys.at(-1));
      const range = (pair?.key as { range?: [number, number, number] } | null)?.range;
      if (range) return lineCounter.linePos(range[0]).line;
    }
    const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    if (node?.range && (depth === 0 || isSeq(parent) || !isMap(parent)))
      return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
