import { parseArgs } from "node:util";
import type { Credentials } from "../qianfan/credentials";
import { checkCredentials } from "../qianfan/credentials";
import { loadFleetFile } from "./fleet";
import { DEMO_CREDENTIALS, startEmulator } from "./server";

interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/**
 * `qfhk emulator --port 8790 --fleet FILE [--latency-ms N] [--qps N] [--fail-rate X]`: runs the
 * emulator in the foreground, one line per request, until SIGINT or SIGTERM.
 */
export async function runEmulatorCommand(
  argv: string[],
  io: Io,
  env: Record<string, string | undefined>,
  until: Promise<unknown> = signalled(),
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: "string", default: "8790" },
      fleet: { type: "string" },
      "latency-ms": { type: "string" },
      qps: { type: "string" },
      "fail-rate": { type: "string" },
      "access-key": { type: "string" },
      "secret-key": { type: "string" },
      seed: { type: "string" },
    },
    strict: true,
  });
  if (!values.fleet)
    throw new UsageProblem("qfhk emulator needs --fleet FILE (the demo fleet is fleets/demo-fleet.json)");
  const number = (name: string, value: string | undefined, min: number, max: number) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new UsageProblem(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
    return n;
  };
  const port = number("port", values.port, 0, 65_535)!;
  const accessKeyId = values["access-key"] ?? env.QIANFAN_ACCESS_KEY;
  const secretAccessKey = values["secret-key"] ?? env.QIANFAN_SECRET_KEY;
  let credentials: Credentials = DEMO_CREDENTIALS;
  let demo = true;
  if (accessKeyId || secretAccessKey) {
    credentials = checkCredentials(
      { accessKeyId, secretAccessKey },
      "--access-key/--secret-key or QIANFAN_ACCESS_KEY/QIANFAN_SECRET_KEY",
    );
    demo = false;
  }
  const emulator = await startEmulator({
    fleet: await loadFleetFile(values.fleet),
    port,
    credentials: [credentials],
    seed: number("seed", values.seed, 0, 2 ** 32),
    faults: {
      latencyMs: number("latency-ms", values["latency-ms"], 0, 600_000),
      qps: number("qps", values.qps, 1, 1_000_000),
      failRate: number("fail-rate", values["fail-rate"], 0, 1),
    },
    onRequest: (e) =>
      io.stdout(
        `${e.at} ${e.action || "-"} ${e.status || "reset"}${e.code ? ` ${e.code}` : ""}${e.fault ? ` (fault: ${e.fault})` : ""} ${e.ms}ms`,
      ),
  });
  io.stdout(`Qianfan emulator listening at ${emulator.url} with fleet ${values.fleet}`);
  if (demo) {
    io.stdout(
      `Demo key pair (opens only this emulator): QIANFAN_ACCESS_KEY=${DEMO_CREDENTIALS.accessKeyId} QIANFAN_SECRET_KEY=${DEMO_CREDENTIALS.secretAccessKey}`,
    );
  } else {
    io.stdout(`Accepting access key ${credentials.accessKeyId}`);
  }
  io.stdout(`Point qfhk at it with QIANFAN_CONSOLE_API_BASE_URL=${emulator.url}`);
  await until;
  await emulator.close();
  return 0;
}

/** A bad flag: the CLI prints it without a stack, exit code 2. */
export class UsageProblem extends Error {
  override name = "UsageError";
}

function signalled(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}
