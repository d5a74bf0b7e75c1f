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
import { compiledConfigText } from "./compiled";
import {
  ConfigError,
  capped,
  type LoadedConfig,
  loadedConfig,
  MAX_CONFIG_BYTES,
  readConfigText,
  tooLarge,
} from "./file";
import { type CompiledGlob, useCompiledGlobs, useGlobCompiler } from "./glob";
import { compileGlob } from "./glob-compiler";
import { globsUsedBy } from "./protection";
import type { HousekeepingConfig } from "./schema";
import { validateConfigData } from "./validate";

export { ConfigError, type LoadedConfig } from "./file";

/** How deep collections may nest: the schema nests them 5 deep; anything near 32 is not a housekeeping config. */
const MAX_DEPTH = 32;

/** Aliases allowed in a file: enough to share a list of rules, too few to cost time however they nest. */
const MAX_ALIASES = 100;

/** The most nodes aliases may copy in all (yaml's `maxAliasCount`): stops a "billion laughs" file. */
const MAX_ALIAS_EXPANSION = 1000;

/** Characters YAML does not allow in a file: C0 and C1 controls but tab, line breaks and NEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const DISALLOWED_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f]/;

/** Controls a value may not hold once escapes ("\0") are read: all C0 but tab and line breaks, and DEL. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point.
const CONTROL_IN_VALUE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Reads and validates a `housekeeping.yml`; a file over {@link MAX_CONFIG_BYTES} is refused unread. */
export async function loadConfig(path: string): Promise<LoadedConfig> {
  return loadedConfig(parseConfigWithWarnings(await readConfigText(path), path), path, path);
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
  const { data, lines } = readConfigDocument(text, source);
  const checked = validateConfigData(data, source, lines);
  // Every glob compiled at load, so a bad one fails here and not in a run.
  const globs = compileGlobs(checked.config, source);
  useCompiledGlobs(
    new Map(Object.entries(globs).map(([glob, re]) => [glob, new RegExp(re.source, re.flags)])),
  );
  useGlobCompiler(compileGlob);
  return checked;
}

/**
 * The YAML config file as the functions are packaged with it (lib/config/compiled.ts): JSON, the
 * config as validation returned it (so a file the functions could not use fails packaging, naming
 * its lines), its warnings, and `source` as the file it was compiled from. The functions read at
 * most 1 MiB, as the CLI does: a file that JSON grows past that (aliases expanded, defaults filled
 * in, characters escaped) is refused here.
 */
export async function compileConfig(
  path: string,
  source: string = path,
): Promise<{ text: string; warnings: string[] }> {
  const { data, lines } = readConfigDocument(await readConfigText(path), path);
  const { config, warnings } = validateConfigData(data, path, lines);
  const text = compiledConfigText(config, warnings, source, compileGlobs(config, path));
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_CONFIG_BYTES) {
    throw new ConfigError([
      `${path}: compiled to JSON it is ${bytes} bytes, over the 1 MiB (${MAX_CONFIG_BYTES} bytes) a function reads, so nothing was packaged; make the file smaller`,
    ]);
  }
  return { text, warnings };
}

/** Every glob `config` uses, compiled by picomatch; one it cannot compile names its key path. */
function compileGlobs(config: HousekeepingConfig, source: string): Record<string, CompiledGlob> {
  // A Map, then entries: a glob "__proto__" is a key like any other.
  const globs = new Map<string, CompiledGlob>();
  const problems: string[] = [];
  for (const { pattern, path } of globsUsedBy(config)) {
    if (globs.has(pattern)) continue;
    try {
      globs.set(pattern, compileGlob(pattern));
    } catch (error) {
      // picomatch refuses a glob over 64 KiB, with a message that does not quote it.
      problems.push(`${source}: ${path}: not a glob picomatch can compile (${(error as Error).message})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.fromEntries(globs);
}

/** The data of a YAML config text and the line of each key path; YAML problems throw. */
function readConfigDocument(text: string, source: string): { data: unknown; lines: Map<string, number> } {
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
  return { data, lines: outline.lines };
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
