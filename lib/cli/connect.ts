import { fileURLToPath } from "node:url";
import { clientPacing, type HousekeepingConfig, readEnv } from "../config";
import {
  type ClientEvent,
  type Credentials,
  checkBaseUrl,
  QianfanApi,
  QianfanClient,
  QianfanConfigError,
  type RetryOptions,
  readQianfanEnv,
  staticCredentials,
} from "../qianfan";

/** The demo fleet shipped with the project, used when no Qianfan endpoint is configured. */
export const DEMO_FLEET_PATH = fileURLToPath(new URL("../../fleets/demo-fleet.json", import.meta.url));

export interface ConnectOptions {
  env: Record<string, string | undefined>;
  /** `--base-url`, overriding QIANFAN_CONSOLE_API_BASE_URL. */
  baseUrl?: string;
  /** The fleet the in-process emulator loads; default the demo fleet. */
  fleetFile?: string;
  /** The in-process emulator's clock starts here (a run `--now` elsewhere in time). */
  emulatorStart?: Date;
  /** The config's `qianfan` block: every connection keeps its pace ({@link clientPacing}). */
  qianfan: Pick<HousekeepingConfig["qianfan"], "requestsPerSecond" | "concurrency">;
  retry?: Partial<RetryOptions>;
  timeoutMs?: number;
  onEvent?: (event: ClientEvent) => void;
}

/** A live connection to Qianfan (or to the in-process emulator standing in for it). */
export interface Connection {
  api: QianfanApi;
  /** True when the in-process emulator answers, not a real endpoint. */
  emulated: boolean;
  /** Where calls go, for the report's first line: never includes a key. */
  target: string;
  /** The access key id calls are signed with (never the secret). */
  accessKeyId: string;
  close(): Promise<void>;
}

/**
 * Connects with the official SDKs' environment variables. With neither credentials nor a base URL,
 * the emulator is started in-process on 127.0.0.1 with the demo fleet, so every command works on a
 * fresh machine.
 */
export async function connectQianfan(options: ConnectOptions): Promise<Connection> {
  const settings = readQianfanEnv(options.env);
  const baseUrl = options.baseUrl ?? settings.baseUrl;
  if (!runsOnBuiltInEmulator(options.env, options.baseUrl)) {
    if (options.baseUrl) checkBaseUrl(options.baseUrl, "--base-url / qianfan.baseUrl");
    if (!settings.credentials && !isLoopbackUrl(new URL(baseUrl!))) {
      throw new QianfanConfigError(
        `no Qianfan keys for ${new URL(baseUrl!).origin}: set QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY (the demo key pair opens only an emulator on 127.0.0.1 or localhost)`,
      );
    }
    const credentials: Credentials = settings.credentials ?? (await demoCredentials());
    const api = makeApi(credentials, baseUrl, options);
    return {
      api,
      emulated: false,
      target: api.client.baseUrl.origin,
      accessKeyId: credentials.accessKeyId,
      close: async () => {},
    };
  }
  const { startEmulator, loadFleetFile, DEMO_CREDENTIALS, EmulatorClock } = await import("../emulator");
  const fleetFile = options.fleetFile ?? DEMO_FLEET_PATH;
  const clock = new EmulatorClock(options.emulatorStart);
  const emulator = await startEmulator({ fleet: await loadFleetFile(fleetFile), port: 0, clock });
  const api = makeApi(DEMO_CREDENTIALS, emulator.url, options);
  return {
    api,
    emulated: true,
    accessKeyId: DEMO_CREDENTIALS.accessKeyId,
    target: `the built-in Qianfan emulator at ${emulator.url} (fleet ${fleetFile}), since no QIANFAN_ACCESS_KEY or QIANFAN_CONSOLE_API_BASE_URL is set`,
    close: () => emulator.close(),
  };
}

/**
 * True when no keys and no endpoint are set (in the environment or as `baseUrl`): commands then
 * run on the built-in emulator.
 */
export function runsOnBuiltInEmulator(env: Record<string, string | undefined>, baseUrl?: string): boolean {
  const vars = readEnv(env);
  return !(
    vars.QIANFAN_ACCESS_KEY ||
    vars.QIANFAN_SECRET_KEY ||
    baseUrl ||
    vars.QIANFAN_CONSOLE_API_BASE_URL
  );
}

/** True when `url` is on this machine (127.0.0.0/8, ::1, localhost): where an emulator runs. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127(\.\d{1,3}){3}$/.test(host);
}

/** A loopback base URL without keys is an emulator started separately (`qfhk emulator`): it takes the demo pair. */
async function demoCredentials(): Promise<Credentials> {
  const { DEMO_CREDENTIALS } = await import("../emulator");
  return DEMO_CREDENTIALS;
}

function makeApi(credentials: Credentials, baseUrl: string | undefined, options: ConnectOptions): QianfanApi {
  const client = new QianfanClient({
    credentials: staticCredentials(credentials),
    baseUrl,
    pacing: clientPacing(options.qianfan),
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    onEvent: options.onEvent,
  });
  return new QianfanApi(client);
}
