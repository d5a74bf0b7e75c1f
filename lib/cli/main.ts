import { processEnv } from "../config/env";
import { type Clock, systemClock } from "../engine/clock";
import { isQianfanError, QianfanConfigError } from "../qianfan";
import { type CliIo, processIo, UsageError } from "./io";

const HELP = `qfhk — housekeeping for Baidu Qianfan

Usage:
  qfhk run <job|all> [--apply|--dry-run] [--config FILE] [--json] [--only ID …]
                                                    run housekeeping jobs (jobs: scale-services, tpm-windows,
                                                    release-units, stop-batch-tasks)
  qfhk run <job|all> --now T                        a what-if as of T: looks, changes and records nothing
  qfhk run <job|all> --now T --simulate [--apply]   a rehearsal on an emulator: acts and remembers as of T
  qfhk plan <job|all> [--now T] [--json]            what a run would do; changes and records nothing
  qfhk snooze ID DURATION [--reason TEXT]           no job touches ID for DURATION (e.g. 3d)
  qfhk unsnooze ID
  qfhk force-up SERVICE_ID DURATION                 keep a scheduled service up for DURATION
  qfhk snoozes [--json]                             snoozes and force-ups in force
  qfhk chat <slack|feishu|dingtalk|wecom> "<command>" [--user U] [--room R]
                                                    send a chat command as that platform would, to a
                                                    local webhook; prints the answer and the reply
                                                    (--offline: to the one \`qfhk offline\` serves)
  qfhk offline [--http-port 3000]                   serve the chat functions under serverless offline
  qfhk doctor [--json] [--model M …]                check the account before a first run: keys, clock,
                                                    permissions, answer shapes; changes nothing
  qfhk validate [FILE]                              check a config file; every problem on its own line
  qfhk schedule explain "<expr>" [--now T] [--zone Z]
                                                    whether a schedule is on, and its next changes
  qfhk history [--limit N] [--job J] [--json]       the audit trail of actions and notices
  qfhk units    [--json] [--base-url URL]          compute units
  qfhk services [--json] [--status S …] [--name N] custom services
  qfhk tasks    [--json] [--status S …]            batch inference tasks
  qfhk tpm --model M [--json]                       TPM quota instances of a model
  qfhk emulator --port 8790 --fleet FILE [--latency-ms N] [--qps N] [--fail-rate X]
                [--drop-field [ACTION:]FIELD …]     run the local Qianfan emulator

Credentials come from QIANFAN_ACCESS_KEY / QIANFAN_SECRET_KEY and the endpoint from
QIANFAN_CONSOLE_API_BASE_URL. With none of them set, commands run against the built-in
emulator with the demo fleet. Against a real endpoint, runs are dry unless --apply (or
dryRun: false in the config). Exit codes: 0 ok, 1 a failure, 2 usage or configuration,
3 a guard or another run's lock stopped a job.

Remembered state (snoozes, marks, the audit trail) is the store the config names: --state FILE
or QFHK_STATE_PATH, else QFHK_STATE_TABLE or state.kind dynamodb (the deployed table), else
state.path; every command says which one it used. Runs on the built-in emulator keep their own
demo file beside it.`;

/** The qfhk command line: returns the exit code; never prints a stack trace. */
export async function main(
  argv: string[],
  io: CliIo = processIo,
  env: Record<string, string | undefined> = processEnv(),
  clock: Clock = systemClock,
): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.stdout(HELP);
        return command === undefined ? 2 : 0;
      case "units":
      case "services":
      case "tasks":
      case "tpm": {
        const { runInventoryCommand } = await import("./inventory");
        return await runInventoryCommand(command, rest, io, env);
      }
      case "run":
      case "plan": {
        const { runRunCommand } = await import("./run");
        return await runRunCommand(command, rest, io, env, clock);
      }
      case "snooze":
      case "unsnooze": {
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
      case "schedule": {
        const { runScheduleCommand } = await import("./schedule");
        return await runScheduleCommand(rest, io, clock);
      }
      case "force-up": {
        const { runSnoozeCommand } = await import("./run");
        return await runSnoozeCommand("force-up", rest, io, env, clock);
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
      default:
        throw new UsageError(`unknown command '${command}'; run 'qfhk help'`);
    }
  } catch (error) {
    return reportFailure(error, io);
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
  io.stderr(`qfhk: ${error instanceof Error ? error.message : String(error)}`);
  return 1;
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && code.startsWith("ERR_PARSE_ARGS");
}
