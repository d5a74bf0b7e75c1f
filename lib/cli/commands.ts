import { type ParseArgsConfig, parseArgs } from "node:util";
import { SERVICE_RUN_STATUSES, TASK_RUN_STATUSES, TPM_MODELS } from "../qianfan/actions";
import { closestMatch } from "../text/words";
import { UsageError } from "./io";

/**
 * The one table of qfhk's commands: parsing (`parseCommand`), help (`help.ts`) and shell
 * completion (`completion.ts`) all read it, so an option cannot be accepted without being
 * documented, nor offered without being accepted.
 */

/** One `--option`: parseArgs' own fields plus what help and completion show. */
export interface OptionSpec {
  type: "string" | "boolean";
  multiple?: boolean;
  short?: string;
  default?: string | boolean;
  /** What it does, in a sentence for the help. */
  help: string;
  /** The value's name in usage lines: FILE, T, ID… */
  value?: string;
  /** The only values it takes: listed in the help, completed, and checked. */
  choices?: readonly string[];
  /** Its value is a file name: completed as one. */
  file?: boolean;
}

export interface ArgumentSpec {
  name: string;
  help: string;
  choices?: readonly string[];
  optional?: boolean;
  file?: boolean;
}

export interface CommandSpec {
  /** "run", or "schedule explain" for a command under a group. */
  name: string;
  summary: string;
  /** More words for the help, after the summary. */
  details?: string;
  args: readonly ArgumentSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Options that may not be given together (shown as [--a | --b]). */
  exclusive?: readonly (readonly [string, string])[];
  examples: readonly string[];
}

/** Every job by name, in the order `all` runs them (lib/jobs JOB_NAMES; a test keeps them equal). */
export const JOBS = ["scale-services", "tpm-windows", "release-units", "stop-batch-tasks"] as const;
export const CHAT_PLATFORM_NAMES = ["slack", "feishu", "dingtalk", "wecom"] as const;
export const SHELLS = ["bash", "zsh"] as const;

const config = {
  type: "string",
  value: "FILE",
  file: true,
  help: "the config file (default: QFHK_CONFIG, else ./housekeeping.yml, else housekeeping.example.yml)",
} as const;
const json = { type: "boolean", default: false, help: "print JSON (times in ISO 8601 UTC)" } as const;
const wide = {
  type: "boolean",
  default: false,
  help: "never shorten table cells to fit the terminal",
} as const;
const state = {
  type: "string",
  value: "FILE",
  file: true,
  help: "use this state file, whatever the config names (a copy for a rehearsal); also QFHK_STATE_PATH",
} as const;
const now = {
  type: "string",
  value: "T",
  help: "evaluate as of T, an ISO time with a zone (2026-12-01T02:00:00+08:00); away from the clock, a what-if",
} as const;
const simulate = {
  type: "boolean",
  default: false,
  help: "a rehearsal on an emulator: act and remember as of --now (never on the DynamoDB table)",
} as const;
const baseUrl = {
  type: "string",
  value: "URL",
  help: "the Qianfan console endpoint (default QIANFAN_CONSOLE_API_BASE_URL, else the config's qianfan.baseUrl)",
} as const;
const fleet = {
  type: "string",
  value: "FILE",
  file: true,
  help: "the fleet the built-in emulator serves when no keys or endpoint are set (default fleets/demo-fleet.json)",
} as const;
const only = {
  type: "string",
  multiple: true,
  value: "ID",
  help: "act only on this resource id (repeat for more); the others are reported and kept",
} as const;
const by = { type: "string", value: "NAME", help: "who asks, for the audit trail (default cli)" } as const;
const reason = { type: "string", value: "TEXT", help: "why, shown in snoozes and the audit trail" } as const;
const stateOnly = { config, state, now, simulate } as const;
const runOptions = { config, json, wide, now, simulate, state, only, "base-url": baseUrl, fleet } as const;
const inventory = { json, wide, config, "base-url": baseUrl, fleet } as const;
/** `--status S`: a runStatus filter the platform applies, one of the statuses it documents. */
const statusOption = <C extends readonly string[]>(noun: string, choices: C) =>
  ({
    type: "string",
    multiple: true,
    value: "S",
    help: `only ${noun} in this runStatus (repeat for more)`,
    choices,
  }) as const;
const job = {
  name: "job|all",
  help: "the job to run, or all (every enabled job, in this order)",
  choices: [...JOBS, "all"],
} as const;

export const COMMANDS = {
  run: {
    name: "run",
    summary: "run housekeeping jobs: a dry run against Qianfan unless --apply; acts on the built-in emulator",
    details:
      "Reads the inventory, decides per resource with its reason, passes the guards, acts (or not, in a dry run), remembers and reports. Exit 3 when a guard or another run's lock stopped a job.",
    args: [job],
    options: {
      apply: {
        type: "boolean",
        default: false,
        help: "change things for real (default: the config's dryRun)",
      },
      "dry-run": { type: "boolean", default: false, help: "change nothing, whatever the config says" },
      ...runOptions,
    },
    exclusive: [["apply", "dry-run"]],
    examples: [
      "qfhk run all",
      "qfhk run release-units --apply",
      "qfhk run release-units --apply --only unit-abc123",
      "qfhk run all --simulate --apply --now 2026-12-01T02:00:00+08:00",
    ],
  },
  plan: {
    name: "plan",
    summary: "what a run would do now (or as of --now); changes and records nothing",
    args: [job],
    options: runOptions,
    examples: ["qfhk plan all", "qfhk plan release-units --now 2026-12-01T02:00:00+08:00 --json"],
  },
  snooze: {
    name: "snooze",
    summary: "no job touches a resource (unit, service or task) for a while",
    details:
      "Written to the state store the deployed functions read. An id no listed resource has is warned about and still snoozed (ahead of its creation). At most a year.",
    args: [
      { name: "ID", help: "the resource's id (instanceId, serviceId or taskId)" },
      { name: "DURATION", help: "how long: 90m, 12h, 3d, 2w, up to 365d" },
    ],
    options: { reason, by, ...stateOnly },
    examples: ['qfhk snooze unit-abc123 3d --reason "load test on Friday"', "qfhk snooze infer-x7 12h"],
  },
  unsnooze: {
    name: "unsnooze",
    summary: "end a snooze or a force-up early",
    args: [{ name: "ID", help: "the snoozed resource's id" }],
    options: { by, ...stateOnly },
    examples: ["qfhk unsnooze unit-abc123"],
  },
  "force-up": {
    name: "force-up",
    summary: "keep a scheduled service up for a while, whatever its schedule says",
    args: [
      { name: "SERVICE_ID", help: "the service's id" },
      { name: "DURATION", help: "how long: 90m, 4h, 1d, up to 365d" },
    ],
    options: { reason, by, ...stateOnly },
    examples: ['qfhk force-up svco-abc 4h --reason "demo for the board"'],
  },
  snoozes: {
    name: "snoozes",
    summary: "the snoozes and force-ups in force, soonest end first",
    args: [],
    options: { json, wide, ...stateOnly },
    examples: ["qfhk snoozes", "qfhk snoozes --json"],
  },
  chat: {
    name: "chat",
    summary: "send a chat command as that platform would, to a local webhook; print the answer and the reply",
    details:
      "Signs the request with fresh local secrets; on the built-in emulator without a chat section, local-operator may do everything and local-viewer may look.",
    args: [
      { name: "platform", help: "the chat platform", choices: CHAT_PLATFORM_NAMES },
      { name: "command", help: 'the chat command, quoted: "status", "plan", "snooze unit-x 3d", "help"' },
    ],
    options: {
      user: { type: "string", value: "USER", default: "local-operator", help: "who sends it" },
      room: { type: "string", value: "ROOM", help: "the room (channel, group) it is sent in" },
      config,
      state,
      json: { type: "boolean", default: false, help: "print the exchange as JSON" },
      offline: {
        type: "boolean",
        default: false,
        help: "send to the webhook `qfhk offline` serves (its session file gives the address and secrets)",
      },
      url: {
        type: "string",
        value: "URL",
        help: "send to the webhook at URL (this machine only), signed with the secrets of `qfhk offline`",
      },
      wait: {
        type: "string",
        value: "SECONDS",
        default: "30",
        help: "with --offline or --url: how long to wait for the worker's reply",
      },
      mention: {
        type: "boolean",
        default: false,
        help: "slack: send it as an @mention in the channel (answered in its thread) instead of a slash command",
      },
    },
    examples: [
      'qfhk chat slack "status"',
      'qfhk chat feishu "plan release-units" --user local-viewer',
      'qfhk chat wecom "release unit-abc" --offline',
    ],
  },
  offline: {
    name: "offline",
    summary: "serve the chat functions under serverless offline, until Ctrl-C",
    args: [],
    options: {
      "http-port": { type: "string", value: "PORT", default: "3000", help: "the webhook's HTTP port" },
      "lambda-port": {
        type: "string",
        value: "PORT",
        default: "3002",
        help: "serverless offline's Lambda port",
      },
      "replies-port": {
        type: "string",
        value: "PORT",
        default: "8792",
        help: "the port of the local stand-in that receives replies",
      },
      config,
    },
    examples: ["qfhk offline", "qfhk offline --http-port 4000"],
  },
  doctor: {
    name: "doctor",
    summary: "check the account before a first run: keys, clock, permissions, answer shapes; changes nothing",
    details: "Each line says ok, FAIL, warn or -- (not checked). Exit 1 when anything failed.",
    args: [],
    options: {
      json,
      config,
      "base-url": baseUrl,
      fleet,
      model: {
        type: "string",
        multiple: true,
        value: "M",
        help: "check TPM listing for this model (default: the config's TPM windows' models)",
      },
    },
    examples: ["qfhk doctor", "qfhk doctor --json --model ernie-speed-8k"],
  },
  validate: {
    name: "validate",
    summary: "check a config file; every problem on its own line with its line and key path",
    args: [{ name: "FILE", help: "the config file (default as --config)", optional: true, file: true }],
    options: { config },
    examples: ["qfhk validate", "qfhk validate housekeeping.yml"],
  },
  "schedule explain": {
    name: "schedule explain",
    summary: "whether a schedule is on, and its next changes in each term's zone",
    args: [{ name: "expression", help: 'the schedule, quoted: "Mon-Fri 08:00-20:00 Asia/Shanghai"' }],
    options: {
      now,
      zone: {
        type: "string",
        value: "ZONE",
        default: "Asia/Shanghai",
        help: "the zone of terms that name none (an IANA zone)",
      },
      count: { type: "string", value: "N", default: "6", help: "how many changes to list, 1 to 50" },
      holiday: { type: "string", multiple: true, value: "DATE", help: "a holiday (YYYY-MM-DD or FROM..TO)" },
      workday: { type: "string", multiple: true, value: "DATE", help: "a make-up working day (YYYY-MM-DD)" },
    },
    examples: [
      'qfhk schedule explain "Mon-Fri 08:00-20:00 Asia/Shanghai"',
      'qfhk schedule explain "Mon-Fri 09:00-18:00" --zone Europe/Berlin --count 2',
    ],
  },
  history: {
    name: "history",
    summary: "the audit trail of actions, notices and commands, newest first",
    args: [],
    options: {
      limit: { type: "string", value: "N", default: "50", help: "how many records, 1 to 100000" },
      job: {
        type: "string",
        value: "JOB",
        help: "only this job's records",
        choices: [...JOBS, "cli", "chat"],
      },
      json,
      wide,
      config,
      state,
    },
    examples: ["qfhk history", "qfhk history --job release-units --limit 10"],
  },
  units: {
    name: "units",
    summary: "the account's compute units",
    args: [],
    options: inventory,
    examples: ["qfhk units", "qfhk units --json"],
  },
  services: {
    name: "services",
    summary: "the account's custom services",
    args: [],
    options: {
      ...inventory,
      status: statusOption("services", SERVICE_RUN_STATUSES),
      name: { type: "string", value: "N", help: "only services whose name contains N" },
    },
    examples: ["qfhk services", "qfhk services --status Serving --name chat"],
  },
  tasks: {
    name: "tasks",
    summary: "the account's batch inference tasks",
    args: [],
    options: {
      ...inventory,
      status: statusOption("tasks", TASK_RUN_STATUSES),
    },
    examples: ["qfhk tasks", "qfhk tasks --status Running --status Queuing"],
  },
  tpm: {
    name: "tpm",
    summary: "the TPM quota instances of a model",
    args: [],
    options: {
      ...inventory,
      model: {
        type: "string",
        value: "M",
        help: `the model (required); documented: ${TPM_MODELS.join(", ")}`,
      },
    },
    examples: ["qfhk tpm --model ernie-speed-8k"],
  },
  emulator: {
    name: "emulator",
    summary: "serve a local Qianfan console emulator on 127.0.0.1, one line per request, until Ctrl-C",
    args: [],
    options: {
      port: { type: "string", value: "PORT", default: "8790", help: "the port (0: any free one)" },
      fleet: {
        type: "string",
        value: "FILE",
        file: true,
        help: "the fleet it serves (default fleets/demo-fleet.json)",
      },
      "latency-ms": { type: "string", value: "N", help: "answer every request after N milliseconds" },
      qps: { type: "string", value: "N", help: "throttle above N requests per second, as the platform does" },
      "fail-rate": {
        type: "string",
        value: "X",
        help: "fail this share of requests (0 to 1) with a retryable error",
      },
      seed: { type: "string", value: "N", help: "the seed of random faults, for a repeatable run" },
      "drop-field": {
        type: "string",
        multiple: true,
        value: "[ACTION:]FIELD",
        help: "leave FIELD out of answers (of ACTION only), to see how qfhk and doctor take it",
      },
      "access-key": {
        type: "string",
        value: "K",
        help: "accept this access key (default QIANFAN_ACCESS_KEY, else the demo pair)",
      },
      "secret-key": { type: "string", value: "S", help: "its secret (never printed)" },
    },
    examples: [
      "qfhk emulator",
      "qfhk emulator --port 8790 --latency-ms 25 --fail-rate 0.1 --seed 7",
      "qfhk emulator --drop-field DescribeComputeUnits:paymentTiming",
    ],
  },
  completion: {
    name: "completion",
    summary: "print a shell completion script (commands, jobs, options and their values)",
    details:
      "bash: add `source <(qfhk completion bash)` to ~/.bashrc. zsh: add `source <(qfhk completion zsh)` to ~/.zshrc.",
    args: [{ name: "shell", help: "the shell", choices: SHELLS }],
    options: {},
    examples: ["source <(qfhk completion bash)", "qfhk completion zsh > ~/.zfunc/_qfhk"],
  },
  help: {
    name: "help",
    summary: "the help of qfhk, or of one command",
    args: [{ name: "command", help: "a command", optional: true }],
    options: {},
    examples: ["qfhk help", "qfhk help run", "qfhk help schedule explain"],
  },
} as const satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

/** `--help` and `-h`, which every command takes (handled before its own options). */
export const HELP_OPTION: OptionSpec = { type: "boolean", short: "h", help: "show this help" };

/** The words of a command line that name its command: "run", or "schedule explain". */
export function findCommand(argv: readonly string[]): { spec: CommandSpec; rest: string[] } | undefined {
  const [first, second, ...rest] = argv;
  const two = `${first} ${second}`;
  if (two in COMMANDS) return { spec: COMMANDS[two as CommandName], rest };
  if (first !== undefined && first in COMMANDS && !first.includes(" "))
    return { spec: COMMANDS[first as CommandName], rest: argv.slice(1) };
  return undefined;
}

/** The first words of every command (`schedule` for `schedule explain`). */
export function topLevelWords(): string[] {
  return [...new Set(Object.keys(COMMANDS).map((name) => name.split(" ")[0]!))];
}

/** "; did you mean 'x'?" (to end a message with), or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: readonly string[], prefix = ""): string {
  const match = closestMatch(word, candidates);
  return match ? `; did you mean '${prefix}${match}'?` : "";
}

type Parsed<O extends Readonly<Record<string, OptionSpec>>> = {
  values: {
    [K in keyof O]: O[K] extends { type: "boolean" }
      ? boolean
      : O[K] extends { multiple: true }
        ? string[] | undefined
        : O[K] extends { default: string }
          ? string
          : string | undefined;
  };
  positionals: string[];
};

/**
 * Parses a command's arguments by its table entry: unknown options are refused with the nearest
 * known one, values outside an option's choices with the choices, and contradicting options with
 * both names.
 */
export function parseCommand<S extends CommandSpec>(spec: S, argv: string[]): Parsed<S["options"]> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: spec.options as unknown as ParseArgsConfig["options"],
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw translateParseError(error, spec);
  }
  for (const [name, option] of Object.entries(spec.options)) {
    const given = parsed.values[name];
    if (!option.choices || given === undefined) continue;
    for (const value of Array.isArray(given) ? given : [given]) {
      if (typeof value === "string" && !option.choices.includes(value))
        throw new UsageError(
          `--${name} takes one of ${option.choices.join(", ")}, got '${value}'${didYouMean(value, option.choices)}`,
        );
    }
  }
  for (const [a, b] of spec.exclusive ?? []) {
    if (parsed.values[a] === true && parsed.values[b] === true)
      throw new UsageError(`--${a} and --${b} contradict each other`);
  }
  return parsed as unknown as Parsed<S["options"]>;
}

/** parseArgs' errors in qfhk's words, with a suggestion and where the options are listed. */
function translateParseError(error: unknown, spec: CommandSpec): unknown {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? "";
  const see = `qfhk ${spec.name} --help lists its options`;
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const option = /'(-[^']*)'/.exec(message)?.[1] ?? "?";
    const names = Object.keys(spec.options);
    const typed = option.replace(/^-+/, "").split("=")[0]!;
    return new UsageError(
      `unknown option '${option}' for qfhk ${spec.name}${didYouMean(typed, names, "--") || `; ${see}`}`,
    );
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const option = /'(-[^' ]*)/.exec(message)?.[1];
    const name = option?.replace(/^-+/, "");
    const spec1 = name ? spec.options[name] : undefined;
    if (spec1?.type === "string")
      return new UsageError(`${option} needs a value: ${option} ${spec1.value ?? "VALUE"}`);
    if (spec1?.type === "boolean") return new UsageError(`${option} takes no value (${see})`);
  }
  return new UsageError(`${message.split(". ")[0]} (${see})`);
}
