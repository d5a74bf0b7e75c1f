import { COMMANDS, parseCommand } from "../cli/commands";
import { DEMO_FLEET_PATH } from "../cli/connect";
import { usageText } from "../cli/help";
import { type CliIo, UsageError } from "../cli/io";
import { routesOf } from "../qianfan/actions";
import { type Credentials, checkCredentials, readQianfanEnv } from "../qianfan/credentials";
import { parseDroppedField } from "./answer-shape";
import type { FaultOptions } from "./faults";
import { loadFleetFile } from "./fleet";
import { DEMO_CREDENTIALS, type RequestLogEntry, startEmulator } from "./server";

const USAGE = usageText(COMMANDS.emulator);

/**
 * `qfhk emulator`: serves a fleet (default the demo fleet) on 127.0.0.1 in the foreground, one line per request, until
 * SIGINT or SIGTERM (or `until` settles). Keys come from the flags, else QIANFAN_ACCESS_KEY /
 * QIANFAN_SECRET_KEY in `env`, else the demo pair, which is printed; a user's secret never is.
 */
export async function runEmulatorCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined> = process.env,
  until?: Promise<unknown>,
): Promise<number> {
  const { values, positionals } = parseCommand(COMMANDS.emulator, argv);
  if (positionals.length > 0) throw new UsageError(`qfhk emulator takes no arguments\n${USAGE}`);
  const fleetFile = values.fleet ?? DEMO_FLEET_PATH;
  const port = numberFlag("port", values.port, 0, 65_535, true)!;
  const faults: FaultOptions = {
    latencyMs: numberFlag("latency-ms", values["latency-ms"], 0, 600_000),
    qps: numberFlag("qps", values.qps, 1, 1_000_000),
    failRate: numberFlag("fail-rate", values["fail-rate"], 0, 1),
  };
  const seed = numberFlag("seed", values.seed, 0, 2 ** 32 - 1, true);
  const credentials = pickCredentials(values["access-key"], values["secret-key"], env);
  const dropFields = (values["drop-field"] ?? []).map((text) => {
    const dropped = parseDroppedField(text);
    if (!dropped) throw new UsageError(`--drop-field takes FIELD or ACTION:FIELD, got '${text}'\n${USAGE}`);
    return dropped;
  });
  const fleet = await loadFleetFile(fleetFile);

  const emulator = await startEmulator({
    fleet,
    port,
    credentials: [credentials ?? DEMO_CREDENTIALS],
    faults,
    dropFields,
    ...(seed === undefined ? {} : { seed }),
    onRequest: (entry) => io.stdout(describeRequest(entry)),
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "EADDRINUSE") throw new UsageError(`port ${port} is in use; pick another with --port`);
    throw error;
  });
  io.stdout(`Qianfan emulator listening at ${emulator.url} with fleet ${fleetFile}`);
  if (credentials) {
    io.stdout(`Accepting access key ${credentials.accessKeyId}`);
  } else {
    io.stdout(
      `Demo key pair (opens only this emulator): QIANFAN_ACCESS_KEY=${DEMO_CREDENTIALS.accessKeyId} QIANFAN_SECRET_KEY=${DEMO_CREDENTIALS.secretAccessKey}`,
    );
  }
  io.stdout(`Point qfhk at it with QIANFAN_CONSOLE_API_BASE_URL=${emulator.url}`);
  await (until ?? signalled());
  await emulator.close();
  return 0;
}

/** The user's key pair from the flags or the environment; undefined means the demo pair. */
function pickCredentials(
  accessKeyId: string | undefined,
  secretAccessKey: string | undefined,
  env: Record<string, string | undefined>,
): Credentials | undefined {
  if (accessKeyId !== undefined || secretAccessKey !== undefined) {
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw new UsageError("--access-key and --secret-key go together");
    }
    return checkCredentials({ accessKeyId, secretAccessKey }, "--access-key/--secret-key");
  }
  return readQianfanEnv(env).credentials;
}

function numberFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
  integer = false,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `--${name} must be ${integer ? "an integer" : "a number"} from ${min} to ${max}, got '${value}'`,
    );
  }
  return n;
}

/** One line per request: time, action, status (or "no-answer"), code, fault, milliseconds. */
function describeRequest(e: RequestLogEntry): string {
  const status = e.status === 0 ? "no-answer" : String(e.status);
  const code = e.code ? ` ${e.code}` : "";
  const fault = e.fault ? ` (fault: ${e.fault})` : "";
  // The route is shown where the Action name alone is ambiguous (DescribeComputeUnits on two routes).
  const where = routesOf(e.action).length > 1 ? ` ${e.route}` : "";
  return `${e.at} ${e.action || "-"}${where} ${status}${code}${fault} ${e.ms}ms`;
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
