import { ConfigError, type LoadedConfig, loadConfig } from "../config";
import { plural } from "../text";
import { COMMANDS, parseCommand } from "./commands";
import { resolveConfigPath } from "./config-path";
import { type CliIo, UsageError } from "./io";

/**
 * `qfhk validate [FILE]`: loads the config as a run would and says `FILE: ok` with a summary
 * (exit 0) after any warnings, or prints every problem on its own line (exit 2). Reads nothing
 * else: no keys, no state.
 */
export async function runValidateCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values, positionals } = parseCommand(COMMANDS.validate, argv);
  if (positionals.length > 1) throw new UsageError("qfhk validate takes at most one FILE");
  const [given] = positionals;
  if (given !== undefined && values.config !== undefined && given !== values.config) {
    throw new UsageError("give the file either as FILE or as --config, not both");
  }
  const file = resolveConfigPath(given ?? values.config, env);
  let loaded: LoadedConfig;
  try {
    loaded = await loadConfig(file);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) io.stderr(problem);
    return 2;
  }
  // Valid, so still "ok" and exit 0; each warning on its own line, as problems are.
  for (const warning of loaded.warnings) io.stderr(`warning: ${warning}`);
  io.stdout(`${file}: ok`);
  io.stdout(summarizeConfig(loaded));
  return 0;
}

/** One line: which jobs are on, how many bindings and windows, where state lives. */
export function summarizeConfig({ config, statePath }: LoadedConfig): string {
  const jobs = Object.entries(config.jobs);
  const enabled = jobs.filter(([, job]) => job.enabled).map(([name]) => name);
  const { state } = config;
  const where =
    state.kind === "file" ? ` ${statePath}` : state.kind === "dynamodb" ? ` table ${state.table}` : "";
  return [
    `${enabled.length} of ${jobs.length} jobs enabled${enabled.length > 0 ? ` (${enabled.join(", ")})` : ""}`,
    plural(config.jobs["scale-services"].services.length, "service binding"),
    plural(config.jobs["tpm-windows"].windows.length, "TPM window"),
    `state: ${state.kind}${where}`,
  ].join("; ");
}
