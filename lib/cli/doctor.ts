import { loadConfig, TpmModelId } from "../config";
import { DOCTOR_DEFAULT_MODEL, formatDoctorReport, ResponseDates, runDoctor } from "../doctor";
import type { Clock } from "../engine/clock";
import { COMMANDS, parseCommand } from "./commands";
import { resolveConfigPath } from "./config-path";
import { connectQianfan } from "./connect";
import { type CliIo, UsageError } from "./io";

/**
 * `qfhk doctor`: checks the account the keys open before a first run (keys, clock, permissions,
 * what the library assumes about answers) and changes nothing. Exit 0 when nothing failed, 1 when
 * something did.
 */
export async function runDoctorCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock,
): Promise<number> {
  const { values, positionals } = parseCommand(COMMANDS.doctor, argv);
  if (positionals.length > 0)
    throw new UsageError(`qfhk doctor takes no arguments, got '${positionals[0]}' (qfhk doctor --help)`);
  for (const model of values.model ?? []) {
    const checked = TpmModelId.safeParse(model);
    if (!checked.success) throw new UsageError(`--model '${model}': ${checked.error.issues[0]!.message}`);
  }
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  const configured = loaded.config.jobs["tpm-windows"].windows.map((w) => w.model);
  const models = [...new Set(values.model ?? (configured.length > 0 ? configured : [DOCTOR_DEFAULT_MODEL]))];
  const responses = new ResponseDates();
  const connection = await connectQianfan({
    env,
    baseUrl: values["base-url"] ?? loaded.config.qianfan.baseUrl,
    fleetFile: values.fleet,
    qianfan: loaded.config.qianfan,
    // A first contact should answer quickly: a few retries, not a scheduled run's patience.
    retry: { retries: Math.min(2, loaded.config.qianfan.maxRetries) },
    timeoutMs: loaded.config.qianfan.timeoutSeconds * 1000,
    onEvent: responses.record,
  });
  try {
    const report = await runDoctor({
      api: connection.api,
      target: connection.target,
      emulated: connection.emulated,
      accessKeyId: connection.accessKeyId,
      models,
      responses,
      now: clock,
    });
    io.stdout(values.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
    return report.ok ? 0 : 1;
  } finally {
    await connection.close();
  }
}
