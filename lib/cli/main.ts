// First: every schema built after it parses by a parser zod generates for it (an input that one
// refuses goes to zod's own, so problems read the same). A run reads each unit and task of each
// listing through them: a 10k-unit pass allocates a fifth less, with less heap. The functions leave
// it out to keep their bundles small.
import "zod/compile";
import { processEnv } from "../config/env";
import { type Clock, systemClock } from "../engine/clock";
import { isQianfanError, QianfanConfigError } from "../qianfan/errors";
import { describeAwsError } from "./aws-errors";
import {
  COMMANDS,
  type CommandName,
  type CommandSpec,
  didYouMean,
  findCommand,
  parseCommand,
  SHELLS,
  topLevelWords,
} from "./commands";
import { commandHelp, overviewHelp, qfhkVersion } from "./help";
import { type CliIo, processIo, UsageError } from "./io";

/** True when the arguments ask for help (`--help` or `-h` before any `--`). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => arg === "--help" || arg === "-h");
}

/** The command a line names, or a usage error that says what was meant. */
function commandOf(argv: readonly string[]): { spec: CommandSpec; rest: string[] } {
  const found = findCommand(argv);
  if (found) return found;
  const [first, second] = argv;
  const groups = Object.keys(COMMANDS).filter((name) => name.startsWith(`${first} `));
  // `qfhk schedule --help`: the group has one command, whose help it is.
  if (groups.length === 1 && (second === undefined || asksForHelp([second])))
    return { spec: COMMANDS[groups[0] as CommandName], rest: argv.slice(1) };
  if (groups.length > 0) {
    const subs = groups.map((name) => name.split(" ")[1]!);
    throw new UsageError(
      second === undefined
        ? `qfhk ${first} needs one of: ${subs.join(", ")}`
        : `qfhk ${first} has no '${second}' (only ${subs.join(", ")})${didYouMean(second, subs, `${first} `)}`,
    );
  }
  throw new UsageError(
    `unknown command '${first}'${didYouMean(first ?? "", topLevelWords()) || "; qfhk --help lists the commands"}`,
  );
}

/** The qfhk command line: returns the exit code; never prints a stack trace. */
export async function main(
  argv: string[],
  io: CliIo = processIo,
  env: Record<string, string | undefined> = processEnv(),
  clock: Clock = systemClock,
): Promise<number> {
  try {
    const [first] = argv;
    if (first === undefined || first === "--help" || first === "-h") {
      io.stdout(overviewHelp(io.columns));
      return first === undefined ? 2 : 0;
    }
    if (first === "--version" || first === "-V" || first === "version") {
      io.stdout(`qfhk ${qfhkVersion()}`);
      return 0;
    }
    if (first === "help") {
      if (asksForHelp(argv.slice(1))) {
        io.stdout(commandHelp(COMMANDS.help, io.columns));
        return 0;
      }
      if (argv.length === 1) {
        io.stdout(overviewHelp(io.columns));
        return 0;
      }
      io.stdout(commandHelp(commandOf(argv.slice(1)).spec, io.columns));
      return 0;
    }
    const { spec, rest } = commandOf(argv);
    if (asksForHelp(rest)) {
      io.stdout(commandHelp(spec, io.columns));
      return 0;
    }
    return await dispatch(spec.name as CommandName, rest, io, env, clock);
  } catch (error) {
    return reportFailure(error, io);
  }
}

async function dispatch(
  command: CommandName,
  rest: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock,
): Promise<number> {
  switch (command) {
    case "units":
    case "services":
    case "tasks":
    case "tpm": {
      const { runInventoryCommand } = await import("./inventory");
      return await runInventoryCommand(command, rest, io, env, clock);
    }
    case "run":
    case "plan": {
      const { runRunCommand } = await import("./run");
      return await runRunCommand(command, rest, io, env, clock);
    }
    case "snooze":
    case "unsnooze":
    case "force-up": {
      const { runSnoozeCommand } = await import("./run");
      return await runSnoozeCommand(command, rest, io, env, clock);
    }
    case "snoozes": {
      const { runSnoozesCommand } = await import("./run");
      return await runSnoozesCommand(rest, io, env, clock);
    }
    case "history": {
      const { runHistoryCommand } = await import("./run");
      return await runHistoryCommand(rest, io, env, clock);
    }
    case "schedule explain": {
      const { runScheduleCommand } = await import("./schedule");
      return await runScheduleCommand(rest, io, clock);
    }
    case "chat": {
      const { runChatCommand } = await import("./chat");
      return await runChatCommand(rest, io, env, clock);
    }
    case "offline": {
      const { runOfflineCommand } = await import("./offline");
      return await runOfflineCommand(rest, io, env);
    }
    case "doctor": {
      const { runDoctorCommand } = await import("./doctor");
      return await runDoctorCommand(rest, io, env, clock);
    }
    case "validate": {
      const { runValidateCommand } = await import("./validate");
      return await runValidateCommand(rest, io, env);
    }
    case "emulator": {
      const { runEmulatorCommand } = await import("../emulator");
      return await runEmulatorCommand(rest, io, env);
    }
    case "completion": {
      const { positionals } = parseCommand(COMMANDS.completion, rest);
      const [shell, ...extra] = positionals;
      if (!shell || extra.length > 0 || !(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(
          `qfhk completion takes one of: ${SHELLS.join(", ")}${shell ? didYouMean(shell, SHELLS) : ""}`,
        );
      const { bashCompletion, zshCompletion } = await import("./completion");
      io.stdout(shell === "zsh" ? zshCompletion() : bashCompletion());
      return 0;
    }
    case "help":
      io.stdout(overviewHelp(io.columns));
      return 0;
  }
}

/** Maps a failure to one line for people and an exit code: 2 for usage and configuration, 1 otherwise. */
export function reportFailure(error: unknown, io: CliIo): number {
  if (
    error instanceof UsageError ||
    error instanceof QianfanConfigError ||
    isParseArgsError(error) ||
    ["UsageError", "ConfigError", "FleetError", "UnknownJobError", "WhatIfError"].includes(
      (error as Error)?.name,
    )
  ) {
    io.stderr(`qfhk: ${(error as Error).message}`);
    return 2;
  }
  if (isQianfanError(error)) {
    io.stderr(`qfhk: ${error.describe()}`);
    return 1;
  }
  const aws = describeAwsError(error);
  if (aws) {
    io.stderr(`qfhk: ${aws}`);
    return 1;
  }
  io.stderr(`qfhk: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
