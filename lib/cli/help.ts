import { readFileSync } from "node:fs";
import { wrapText } from "../text/words";
import { COMMANDS, type CommandSpec, HELP_OPTION, type OptionSpec } from "./commands";

/** Help is laid out for the terminal, at most this wide (long lines are hard to read). */
const MAX_HELP_WIDTH = 100;

/** The project's version, from package.json. */
export function qfhkVersion(): string {
  const text = readFileSync(new URL("../../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** `[--config FILE]`, `[--only ID]...`, `[--json]`. */
function optionUsage(name: string, option: OptionSpec): string {
  const value = option.type === "string" ? ` ${option.value ?? "VALUE"}` : "";
  return `[--${name}${value}]${option.multiple ? "..." : ""}`;
}

function argumentUsage(spec: CommandSpec): string[] {
  return spec.args.map((arg) => {
    const name = arg.choices && arg.name !== "job|all" ? arg.choices.join("|") : arg.name;
    const shown = /^[A-Z_]+$/.test(name) ? name : `<${name}>`;
    return arg.optional ? `[${shown}]` : shown;
  });
}

/** The usage line: every argument and option, wrapped under the command's name. */
export function usageLines(spec: CommandSpec, width: number): string[] {
  const paired = new Set((spec.exclusive ?? []).flat());
  const words = [...argumentUsage(spec)];
  for (const [a, b] of spec.exclusive ?? []) words.push(`[--${a} | --${b}]`);
  for (const [name, option] of Object.entries(spec.options)) {
    if (!paired.has(name)) words.push(optionUsage(name, option));
  }
  const head = `qfhk ${spec.name}`;
  const indent = head.length + 1;
  const lines: string[] = [];
  let line = head;
  for (const word of words) {
    if (line.length + 1 + word.length > width && line.trim() !== head) {
      lines.push(line);
      line = `${" ".repeat(indent)}${word}`;
    } else {
      line = `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

/** "usage: qfhk run <job|all> [--apply | --dry-run] …" on one line, for a usage error. */
export function usageText(spec: CommandSpec): string {
  return `usage: ${usageLines(spec, Number.POSITIVE_INFINITY).join(" ")}`;
}

/** Rows of `term  description`, the descriptions aligned in one column and wrapped to `width`. */
function definitionList(rows: readonly [string, string][], width: number): string[] {
  const termWidth = Math.min(Math.max(...rows.map(([term]) => term.length)), 30);
  const column = 2 + termWidth + 2;
  const out: string[] = [];
  for (const [term, text] of rows) {
    const wrapped = wrapText(text, Math.max(20, width - column));
    if (term.length > termWidth) {
      out.push(`  ${term}`);
      for (const line of wrapped) out.push(`${" ".repeat(column)}${line}`);
    } else {
      out.push(`  ${term.padEnd(termWidth)}  ${wrapped[0]}`);
      for (const line of wrapped.slice(1)) out.push(`${" ".repeat(column)}${line}`);
    }
  }
  return out;
}

/** An option's help, then its choices and its default. */
function optionText(option: OptionSpec): string {
  const parts = [option.help];
  if (option.choices) parts.push(`one of: ${option.choices.join(", ")}`);
  if (typeof option.default === "string") parts.push(`default ${option.default}`);
  return parts.join("; ");
}

/** `qfhk <command> --help`: what it does, its usage, arguments, options and examples. */
export function commandHelp(spec: CommandSpec, columns = 80): string {
  const width = Math.min(columns, MAX_HELP_WIDTH);
  const lines = [...wrapText(`qfhk ${spec.name}: ${spec.summary}`, width)];
  if ("details" in spec && spec.details) lines.push("", ...wrapText(spec.details, width));
  lines.push("", "Usage:", ...usageLines(spec, width - 2).map((l) => `  ${l}`));
  if (spec.args.length > 0) {
    lines.push("", "Arguments:");
    lines.push(
      ...definitionList(
        spec.args.map((arg) => [
          /^[A-Z_]+$/.test(arg.name) ? arg.name : `<${arg.name}>`,
          arg.choices ? `${arg.help}: ${arg.choices.join(", ")}` : arg.help,
        ]),
        width,
      ),
    );
  }
  const options: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    `--${name}${option.type === "string" ? ` ${option.value ?? "VALUE"}` : ""}`,
    optionText(option),
  ]);
  options.push(["-h, --help", HELP_OPTION.help]);
  lines.push("", "Options:", ...definitionList(options, width));
  lines.push("", "Examples:", ...spec.examples.map((example) => `  ${example}`));
  return lines.join("\n");
}

/** `qfhk --help`: every command with its summary, and what holds for all of them. */
export function overviewHelp(columns = 80): string {
  const width = Math.min(columns, MAX_HELP_WIDTH);
  const rows = Object.values(COMMANDS).map((spec): [string, string] => [spec.name, spec.summary]);
  return [
    `qfhk ${qfhkVersion()}: housekeeping for Baidu Qianfan`,
    "",
    "Usage:",
    "  qfhk <command> [arguments] [options]",
    "  qfhk <command> --help",
    "",
    "Commands:",
    ...definitionList(rows, width),
    "",
    ...wrapText(
      "Credentials come from QIANFAN_ACCESS_KEY / QIANFAN_SECRET_KEY and the endpoint from QIANFAN_CONSOLE_API_BASE_URL. With none of them set, commands run against the built-in emulator with the demo fleet. Against a real endpoint, runs are dry unless --apply (or dryRun: false in the config).",
      width,
    ),
    "",
    ...wrapText(
      "Remembered state (snoozes, marks, the audit trail) is the store the config names: --state FILE or QFHK_STATE_PATH, else QFHK_STATE_TABLE or state.kind dynamodb (the deployed table), else state.path; every command says which one it used. Runs on the built-in emulator keep their own demo file beside it.",
      width,
    ),
    "",
    ...wrapText(
      "Times are shown in the config's timezone with their offset; --json gives ISO 8601 UTC. Exit codes: 0 ok, 1 a failure, 2 usage or configuration, 3 a guard or another run's lock stopped a job.",
      width,
    ),
    "",
    "Examples:",
    "  qfhk run all",
    "  qfhk help run",
    "  source <(qfhk completion bash)",
  ].join("\n");
}
