import { isUtf8 } from "node:buffer";
import { open } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import {
  type Document,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  Lexer,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import type * as z from "../validation";
import { configAdvice, type HousekeepingConfig, HousekeepingConfigSchema } from "./schema";

/** The largest config file read: a real one is a few KiB; anything near this is a mistake or an attack. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** How deep collections may nest: the schema nests them 5 deep; anything near 32 is not a housekeeping config. */
const MAX_DEPTH = 32;

/** Aliases allowed in a file: enough to share a list of rules, too few to cost time however they nest. */
const MAX_ALIASES = 100;

/** The most nodes aliases may copy in all (yaml's `maxAliasCount`): stops a "billion laughs" file. */
const MAX_ALIAS_EXPANSION = 1000;

/** Problems listed one by one; the rest are counted, so a huge bad file still gives a readable error. */
const MAX_PROBLEMS = 100;

/** Characters YAML does not allow in a file: C0 and C1 controls but tab, line breaks and NEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const DISALLOWED_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/;

/** Controls a value may not hold once escapes ("\0") are read: all C0 but tab and line breaks, and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_IN_VALUE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A config file that cannot be used: every problem, each naming the file, line and key path. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: string[];

  constructor(problems: string[], options?: { cause?: unknown }) {
    super(
      problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join("\n  ")}`,
      options,
    );
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
  /** What is valid but worth a second look, each naming the file, line and key path. */
  warnings: string[];
}

/** Reads and validates a `housekeeping.yml`; a file over {@link MAX_CONFIG_BYTES} is refused unread. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  const { config, warnings } = parseConfigWithWarnings(await readConfigText(path), path);
  const statePath = isAbsolute(config.state.path)
    ? config.state.path
    : resolve(dirname(resolve(path)), config.state.path);
  return { config, source: path, statePath, warnings };
}

/** The file's text: at most {@link MAX_CONFIG_BYTES} bytes are read, and they must be UTF-8. */
async function readConfigText(path: string): Promise<string> {
  const cannotRead = (error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    return new ConfigError([`${path}: cannot read the config file (${code})`], { cause: error });
  };
  let bytes: Buffer;
  try {
    const file = await open(path, "r");
    try {
      const stat = await file.stat();
      if (stat.isDirectory()) throw Object.assign(new Error("a directory"), { code: "EISDIR" });
      if (stat.isFile() && stat.size > MAX_CONFIG_BYTES) throw tooLarge(path, stat.size);
      // A pipe or device has no size up front: read one byte past the limit to know it is over.
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await file.read(buffer, length, buffer.length - length, null);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      if (length > MAX_CONFIG_BYTES) throw tooLarge(path, undefined);
      bytes = buffer.subarray(0, length);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw error instanceof ConfigError ? error : cannotRead(error);
  }
  if (!isUtf8(bytes)) {
    throw new ConfigError([
      `${path}:${firstNonUtf8Line(bytes)}: the file is not UTF-8 text; save it as UTF-8 (YAML's encoding)`,
    ]);
  }
  return new TextDecoder("utf-8").decode(bytes);
}

function tooLarge(source: string, size: number | undefined): ConfigError {
  const what =
    size === undefined ? "more than 1 MiB" : `${(size / 1024 / 1024).toFixed(1)} MiB (${size} bytes)`;
  return new ConfigError([
    `${source}: the config file is ${what}; the limit is 1 MiB (${MAX_CONFIG_BYTES} bytes), so it was not read`,
  ]);
}

/** The line of the first bytes that are not UTF-8: a newline byte never occurs inside a UTF-8 sequence. */
function firstNonUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  while (start <= bytes.length) {
    const newline = bytes.indexOf(0x0a, start);
    const end = newline === -1 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    if (newline === -1) break;
    line += 1;
    start = newline + 1;
  }
  return line;
}

/**
 * Parses and validates config text. YAML errors give line and column; schema errors give the key
 * path and the line; unknown keys are errors; all problems are listed, not only the first. Every
 * step is linear in the text: a hostile or runaway file costs time in proportion to its size.
 */
export function parseConfig(text: string, source: string): HousekeepingConfig {
  return parseConfigWithWarnings(text, source).config;
}

/**
 * {@link parseConfig}, with what is valid but worth a second look (a TPM model the docs no longer
 * list): one line each, naming the file, line and key path as problems do.
 */
export function parseConfigWithWarnings(
  text: string,
  source: string,
): { config: HousekeepingConfig; warnings: string[] } {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_CONFIG_BYTES) throw tooLarge(source, bytes);
  const early = controlCharacterProblem(text, source) ?? nestingProblem(text, source);
  if (early) throw new ConfigError([early]);

  const lineCounter = new LineCounter();
  // uniqueKeys is checked below in one pass: yaml's own check compares every key with every other.
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: false,
    resolveKnownTags: false,
  });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const yamlProblems = [...doc.errors, ...doc.warnings].map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    const message =
      e.code === "MULTIPLE_DOCS"
        ? "a second document starts here; a config file holds one"
        : e.message.split("\n")[0];
    return `${source}:${pos.line}:${pos.col}: YAML: ${message}`;
  });
  if (yamlProblems.length > 0) throw new ConfigError(capped(yamlProblems, source));

  const outline = outlineDocument(doc, lineAt, source);
  if (outline.problems.length > 0) throw new ConfigError(capped(outline.problems, source));

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION }) ?? {};
  } catch (error) {
    throw new ConfigError(
      [
        `${source}: YAML: the aliases expand to too much data (${(error as Error).message}); write the values out`,
      ],
      { cause: error },
    );
  }
  const parsed = HousekeepingConfigSchema.safeParse(data, { reportInput: true });
  if (parsed.success) {
    const warnings = configAdvice(parsed.data).map(
      (advice) => locate(source, outline.lines, advice.path.map(String), advice.message).text,
    );
    return { config: parsed.data, warnings };
  }
  // In the file's order, whatever order the schema checked the keys in.
  const described = parsed.error.issues
    .flatMap((issue) => describeIssue(issue, source, outline.lines))
    .sort((a, b) => a.line - b.line);
  throw new ConfigError(
    capped(
      described.map((d) => d.text),
      source,
    ),
  );
}

/** The first {@link MAX_PROBLEMS} problems, then how many more there are. */
function capped(problems: string[], source: string): string[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  return [
    ...problems.slice(0, MAX_PROBLEMS),
    `${source}: … and ${problems.length - MAX_PROBLEMS} more problems`,
  ];
}

/** The line number of `offset` in `text`, counted once, for the checks that run before yaml. */
function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line += 1;
  return line;
}

/**
 * A control character YAML does not allow (a NUL from a binary file or a bad copy): yaml would
 * keep it inside a value, where it turns an id or a path into something else.
 */
function controlCharacterProblem(text: string, source: string): string | undefined {
  const match = DISALLOWED_CHARACTER.exec(text);
  if (!match) return undefined;
  const code = match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
  return `${source}:${lineOfOffset(text, match.index)}: the file contains the control character U+${code}, which YAML does not allow`;
}

/**
 * Nesting deeper than {@link MAX_DEPTH}, found with yaml's lexer alone: the parser needs time and
 * memory far out of proportion to a deeply nested file ("[[[[…" of 1 MiB takes seconds and a GiB).
 */
function nestingProblem(text: string, source: string): string | undefined {
  let flow = 0;
  let blockOnLine = 0;
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === "[" || token === "{") flow += 1;
    else if (token === "]" || token === "}") flow = Math.max(0, flow - 1);
    else if (token === "\n" || token === "\r\n") blockOnLine = 0;
    else if (flow === 0 && (token === "-" || token === "?" || token === ":")) blockOnLine += 1;
    if (flow > MAX_DEPTH || blockOnLine > MAX_DEPTH) {
      return `${source}:${lineOfOffset(text, offset)}: collections nest more than ${MAX_DEPTH} deep`;
    }
    // The lexer's marker tokens (document, scalar, flow error) are not part of the source.
    if (token !== "\u0002" && token !== "\u001f" && token !== "\u0018") offset += token.length;
  }
  return undefined;
}

/** What one pass over the document found: problems, and the line of every key path. */
interface Outline {
  problems: string[];
  /** Key path (segments joined by NUL, which no key can contain) → line. */
  lines: Map<string, number>;
}

/**
 * One pass over the parsed document, in source order and without recursion: duplicate and
 * non-scalar keys, nesting depth, aliases (unknown, self-containing, too many) and control
 * characters written as escapes; and the line of each key path, for the schema's messages.
 */
function outlineDocument(doc: Document, lineAt: (offset: number) => number, source: string): Outline {
  const problems: string[] = [];
  const lines = new Map<string, number>();
  const anchors = new Map<string, Node>();
  let aliases = 0;
  type Entry = {
    node: unknown;
    path: string[];
    depth: number;
    line: number;
    ancestors: Set<Node> | undefined;
  };
  const startOf = (node: unknown, fallback: number) => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineAt(range[0]) : fallback;
  };
  const describe = (path: string[]) => path.join(".") || "(top level)";
  const rootLine = startOf(doc.contents, 1);
  const stack: Entry[] = [{ node: doc.contents, path: [], depth: 0, line: rootLine, ancestors: undefined }];
  while (stack.length > 0) {
    const { node, path, depth, line, ancestors } = stack.pop()!;
    lines.set(path.join("\u0000"), line);
    if (node === null || node === undefined) continue;
    if (isAlias(node)) {
      aliases += 1;
      const target = anchors.get(node.source);
      if (aliases === MAX_ALIASES + 1) {
        problems.push(`${source}:${line}: ${describe(path)}: YAML: more than ${MAX_ALIASES} aliases`);
      } else if (!target) {
        problems.push(
          `${source}:${line}: ${describe(path)}: YAML: alias *${node.source} has no anchor &${node.source} before it`,
        );
      } else if (ancestors?.has(target)) {
        problems.push(
          `${source}:${line}: ${describe(path)}: YAML: alias *${node.source} is inside its own anchor`,
        );
      }
      continue;
    }
    const anchor = (node as { anchor?: string }).anchor;
    if (anchor) anchors.set(anchor, node as Node);
    if (isScalar(node)) {
      if (typeof node.value === "string" && CONTROL_IN_VALUE.test(node.value)) {
        problems.push(`${source}:${line}: ${describe(path)}: a value may not contain control characters`);
      }
      continue;
    }
    if (!isCollection(node)) continue;
    if (depth >= MAX_DEPTH) {
      problems.push(`${source}:${line}: ${describe(path)}: collections nest more than ${MAX_DEPTH} deep`);
      continue;
    }
    // Only aliases need to know what contains them; the set is copied once per anchored collection.
    const inner = anchor ? new Set([...(ancestors ?? []), node as Node]) : ancestors;
    const children: Entry[] = [];
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        const keyLine = startOf(pair.key, line);
        if (isScalar(pair.key) && pair.key.anchor) anchors.set(pair.key.anchor, pair.key);
        if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === "object") {
          problems.push(
            `${source}:${keyLine}: ${describe(path)}: a key must be a plain name, not a list, a map or an alias`,
          );
          continue;
        }
        const key = String(pair.key.value);
        if (CONTROL_IN_VALUE.test(key)) {
          problems.push(`${source}:${keyLine}: ${describe(path)}: a key may not contain control characters`);
          continue;
        }
        if (keys.has(key)) {
          problems.push(`${source}:${keyLine}: ${describe([...path, key])}: duplicate key`);
          continue;
        }
        keys.add(key);
        if (key === "__proto__") {
          problems.push(`${source}:${keyLine}: ${describe([...path, key])}: unknown key`);
          continue;
        }
        children.push({
          node: pair.value,
          path: [...path, key],
          depth: depth + 1,
          line: keyLine,
          ancestors: inner,
        });
      }
    } else {
      node.items.forEach((item, i) => {
        const value = isPair(item) ? item.value : item;
        children.push({
          node: value,
          path: [...path, String(i)],
          depth: depth + 1,
          line: startOf(value, line),
          ancestors: inner,
        });
      });
    }
    // Reversed onto the stack, so nodes are visited in source order (anchors before their aliases).
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]!);
  }
  return { problems, lines };
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
function locate(
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
