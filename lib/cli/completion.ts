import { COMMANDS, type CommandSpec, topLevelWords } from "./commands";

/** Words for `compgen -W`, quoted for the script. */
const words = (list: readonly string[]) => list.join(" ");

/** What the command's next positional word may be: its first argument with choices, or a file. */
function positionalCompletion(spec: CommandSpec): string {
  if (spec.name === "help") return `COMPREPLY=( $(compgen -W "${words(topLevelWords())}" -- "$cur") )`;
  const arg = spec.args.find((a) => a.choices || a.file);
  if (arg?.choices) return `COMPREPLY=( $(compgen -W "${words(arg.choices)}" -- "$cur") )`;
  if (arg?.file) return `COMPREPLY=( $(compgen -f -- "$cur") )`;
  return "COMPREPLY=()";
}

/** One `case` branch: the values of the option just typed, else options, else positionals. */
function commandCase(spec: CommandSpec): string {
  const options = Object.entries(spec.options);
  const flags = [...options.map(([name]) => `--${name}`), "--help"];
  const valueCases: string[] = [];
  const files = options.filter(([, o]) => o.file).map(([name]) => `--${name}`);
  if (files.length > 0)
    valueCases.push(`        ${files.join("|")}) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;`);
  for (const [name, option] of options) {
    if (option.choices)
      valueCases.push(
        `        --${name}) COMPREPLY=( $(compgen -W "${words(option.choices)}" -- "$cur") ); return 0 ;;`,
      );
  }
  const free = options
    .filter(([, o]) => o.type === "string" && !o.file && !o.choices)
    .map(([name]) => `--${name}`);
  if (free.length > 0) valueCases.push(`        ${free.join("|")}) COMPREPLY=(); return 0 ;;`);
  const word = spec.name.split(" ")[0]!;
  return [
    `    ${word})`,
    ...(valueCases.length > 0 ? ['      case "$prev" in', ...valueCases, "      esac"] : []),
    `      if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${words(flags)}" -- "$cur") ); return 0; fi`,
    `      ${positionalCompletion(spec)}`,
    "      ;;",
  ].join("\n");
}

/** The bash completion script, generated from the command table. */
export function bashCompletion(): string {
  const top = [...topLevelWords(), "--help", "--version"];
  const groups = Object.keys(COMMANDS).filter((name) => name.includes(" "));
  const groupCases = [...new Set(groups.map((name) => name.split(" ")[0]!))].map((group) => {
    const subs = groups.filter((name) => name.startsWith(`${group} `)).map((name) => name.split(" ")[1]!);
    return `  if [[ "$cmd" == ${group} ]] && (( COMP_CWORD == 2 )); then COMPREPLY=( $(compgen -W "${words(subs)}" -- "$cur") ); return 0; fi`;
  });
  return [
    "# qfhk completion for bash: source <(qfhk completion bash)",
    "_qfhk() {",
    "  local cur prev cmd",
    `  cur="\${COMP_WORDS[COMP_CWORD]}"`,
    `  prev="\${COMP_WORDS[COMP_CWORD-1]}"`,
    "  if (( COMP_CWORD == 1 )); then",
    `    COMPREPLY=( $(compgen -W "${words(top)}" -- "$cur") )`,
    "    return 0",
    "  fi",
    `  cmd="\${COMP_WORDS[1]}"`,
    ...groupCases,
    '  case "$cmd" in',
    ...Object.values(COMMANDS).map((spec) => commandCase(spec)),
    "  esac",
    "  return 0",
    "}",
    "complete -F _qfhk qfhk",
  ].join("\n");
}

/** The zsh completion script: the bash one through zsh's bashcompinit. */
export function zshCompletion(): string {
  return [
    "#compdef qfhk",
    "# qfhk completion for zsh: source <(qfhk completion zsh)",
    "autoload -U +X bashcompinit && bashcompinit",
    bashCompletion(),
  ].join("\n");
}
