import { type ChildProcess, spawn } from "node:child_process";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { localChatSecrets } from "../chat/local-session";
import { checkRepliesUrl } from "../chat/outbound/replies-url";
import { chatSecretsFromJson } from "../chat/secrets";
import { CHAT_PLATFORMS, type ChatSecrets } from "../chat/types";
import { loadConfig, readEnv } from "../config";
import { DEMO_OPERATOR, DEMO_VIEWER } from "./chat";
import { resolveConfigPath } from "./config-path";
import { runsOnBuiltInEmulator } from "./connect";
import { type CliIo, UsageError } from "./io";
import { type OfflineSessionFile, offlineSessionPath } from "./offline-session";

export { type OfflineSessionFile, offlineSessionPath } from "./offline-session";

const USAGE =
  "usage: qfhk offline [--http-port 3000] [--lambda-port 3002] [--replies-port 8792] [--config FILE]";

/** The project's root: where serverless.yml is. */
const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface OfflineOptions {
  configPath: string;
  env: Record<string, string | undefined>;
  httpPort: number;
  lambdaPort: number;
  repliesPort: number;
  /** Each line serverless prints. */
  onOutput?: (line: string) => void;
  /** How long serverless may take to be ready (default 120 s). */
  readyTimeoutMs?: number;
}

export interface OfflineSession {
  webhookUrl: string;
  repliesUrl: string;
  /** The session file `qfhk chat --offline` reads. */
  sessionFile: string;
  secrets: ChatSecrets;
  /** True when the functions act on the built-in emulator started here. */
  emulated: boolean;
  /** Resolves with serverless's exit code. */
  exited: Promise<number>;
  close(): Promise<void>;
}

/**
 * Serves the chat webhook and worker functions under `serverless offline`, as deployed: the
 * webhook verifies and hands over through an asynchronous Lambda invoke (served by serverless
 * offline's Lambda port) and the worker replies — to a stand-in on this machine
 * (QFHK_CHAT_REPLIES_URL), which `qfhk chat --offline` runs while it waits. With no Qianfan keys
 * the functions act on the built-in emulator, started here, with demo chat users; scheduled runs
 * are off.
 */
export async function startOffline(options: OfflineOptions): Promise<OfflineSession> {
  const { env } = options;
  const loaded = await loadConfig(options.configPath);
  const emulated = runsOnBuiltInEmulator(env, undefined);
  const workDir = dirname(loaded.statePath);
  await mkdir(workDir, { recursive: true });
  const repliesUrl = checkRepliesUrl(`http://127.0.0.1:${options.repliesPort}`).origin;
  const webhookUrl = `http://127.0.0.1:${options.httpPort}/chatops`;
  const vars = readEnv(env);
  const secrets = vars.QFHK_CHAT_SECRETS
    ? chatSecretsFromJson(vars.QFHK_CHAT_SECRETS, "QFHK_CHAT_SECRETS")
    : localChatSecrets();

  let configPath = resolve(options.configPath);
  if (!loaded.config.chat) {
    if (!emulated) {
      throw new UsageError(
        "the config has no chat section: list each platform's operators and viewers under chat:",
      );
    }
    // The demo people of `qfhk chat`, in a copy of the config the functions read.
    const document = (parseYaml(await readFile(configPath, "utf8")) ?? {}) as Record<string, unknown>;
    const people = { operators: [DEMO_OPERATOR], viewers: [DEMO_VIEWER] };
    document.chat = Object.fromEntries(CHAT_PLATFORMS.map((platform) => [platform, people]));
    configPath = join(workDir, "offline-housekeeping.yml");
    await writeFile(configPath, stringifyYaml(document));
  }

  const childEnv: Record<string, string | undefined> = {
    ...env,
    SLS_TELEMETRY_DISABLED: "1",
    SLS_NOTIFICATIONS_MODE: "off",
    QFHK_CHAT_SECRETS: JSON.stringify(secrets),
    QFHK_CHAT_REPLIES_URL: repliesUrl,
    // A file the functions share, never the stage's DynamoDB table.
    QFHK_STATE_PATH: emulated ? join(workDir, "offline-state.json") : loaded.statePath,
    // The webhook's asynchronous invoke goes to serverless offline's Lambda port.
    AWS_ENDPOINT_URL_LAMBDA: `http://127.0.0.1:${options.lambdaPort}`,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID ?? "offline",
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY ?? "offline",
    AWS_REGION: env.AWS_REGION ?? "cn-north-1",
  };
  let emulator: { url: string; close(): Promise<void> } | undefined;
  if (emulated) {
    const { startEmulator, loadFleetFile, DEMO_CREDENTIALS } = await import("../emulator");
    const { DEMO_FLEET_PATH } = await import("./connect");
    emulator = await startEmulator({ fleet: await loadFleetFile(DEMO_FLEET_PATH), port: 0 });
    childEnv.QIANFAN_CONSOLE_API_BASE_URL = emulator.url;
    childEnv.QIANFAN_ACCESS_KEY = DEMO_CREDENTIALS.accessKeyId;
    childEnv.QIANFAN_SECRET_KEY = DEMO_CREDENTIALS.secretAccessKey;
  }
  // As `qfhk run`: the emulator is acted on, a real endpoint only when the config says so.
  const dryRun = loaded.config.dryRun ?? !emulated;

  const sessionFile = offlineSessionPath(loaded.statePath);
  const session: OfflineSessionFile = { webhookUrl, repliesUrl, secrets };
  await writeFile(sessionFile, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  await chmod(sessionFile, 0o600);

  const serverlessBin = join(
    dirname(createRequire(import.meta.url).resolve("serverless/package.json")),
    "bin/serverless.js",
  );
  const child = spawn(
    process.execPath,
    [
      serverlessBin,
      "offline",
      "--stage",
      "dev",
      "--host",
      "127.0.0.1",
      "--httpPort",
      String(options.httpPort),
      "--lambdaPort",
      String(options.lambdaPort),
      "--localEnvironment",
      // In serverless's own process: one Node process for both functions on a small machine, and
      // the functions see the same clock as the process (worker threads skip --import preloads).
      "--useInProcess",
      `--param=configFile=${configPath}`,
      `--param=dryRun=${dryRun}`,
      "--param=schedules=false",
    ],
    { cwd: PROJECT_ROOT, env: childEnv as NodeJS.ProcessEnv, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<number>((resolveExit) => {
    child.once("exit", (code, signal) => resolveExit(code ?? (signal ? 1 : 0)));
    child.once("error", () => resolveExit(1));
  });
  const close = async () => {
    await stop(child, exited);
    await emulator?.close();
  };
  try {
    await ready(child, exited, options);
  } catch (error) {
    await close();
    throw error;
  }
  return { webhookUrl, repliesUrl, sessionFile, secrets, emulated, exited, close };
}

/** Waits for serverless offline's "Server ready", passing its output on. */
function ready(child: ChildProcess, exited: Promise<number>, options: OfflineOptions): Promise<void> {
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  const tail: string[] = [];
  return new Promise<void>((resolveReady, reject) => {
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (error) reject(error);
      else resolveReady();
    };
    const timer = setTimeout(
      () => finish(new Error(`serverless offline was not ready within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString("utf8").split(/\r?\n/)) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        options.onOutput?.(line);
        if (line.includes("Server ready")) finish();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exited.then((code) =>
      finish(new Error(`serverless offline stopped (exit ${code}) before it was ready:\n${tail.join("\n")}`)),
    );
  });
}

/** Stops serverless offline and what it started: SIGINT, then SIGKILL after 10 s. */
async function stop(child: ChildProcess, exited: Promise<number>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** `qfhk offline`: serves the chat functions until interrupted. */
export async function runOfflineCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      "http-port": { type: "string", default: "3000" },
      "lambda-port": { type: "string", default: "3002" },
      "replies-port": { type: "string", default: "8792" },
      config: { type: "string" },
    },
  });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const port = (name: "http-port" | "lambda-port" | "replies-port") => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw new UsageError(`--${name}: expected a port number, got '${values[name]}'`);
    }
    return value;
  };
  const session = await startOffline({
    configPath: resolveConfigPath(values.config, env),
    env,
    httpPort: port("http-port"),
    lambdaPort: port("lambda-port"),
    repliesPort: port("replies-port"),
    onOutput: (line) => io.stderr(line),
  });
  io.stdout(
    [
      `Chat webhook: ${session.webhookUrl}/{platform} (serverless offline${session.emulated ? ", on the built-in emulator" : ""}).`,
      `Try: npx qfhk chat slack "status" --offline`,
      "Stop with Ctrl-C.",
    ].join("\n"),
  );
  const interrupted = new Promise<number>((resolveStop) => {
    process.once("SIGINT", () => resolveStop(130));
    process.once("SIGTERM", () => resolveStop(143));
  });
  const code = await Promise.race([session.exited, interrupted]);
  await session.close();
  return code;
}
