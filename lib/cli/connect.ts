import { fileURLToPath } from "node:url";
import {
  type ClientEvent,
  type Credentials,
  type PacingOptions,
  QianfanApi,
  QianfanClient,
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
  pacing?: Partial<PacingOptions>;
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
  if (settings.credentials || baseUrl) {
    const credentials: Credentials = settings.credentials ?? (await demoCredentials());
    const api = makeApi(credentials, baseUrl, options);
    return { api, emulated: false, target: api.client.baseUrl.origin, close: async () => {} };
  }
  const { startEmulator, loadFleetFile, DEMO_CREDENTIALS, EmulatorClock } = await import("../emulator");
  const fleetFile = options.fleetFile ?? DEMO_FLEET_PATH;
  const clock = new EmulatorClock(options.emulatorStart);
  const emulator = await startEmulator({ fleet: await loadFleetFile(fleetFile), port: 0, clock });
  const api = makeApi(DEMO_CREDENTIALS, emulator.url, options);
  return {
    api,
    emulated: true,
    target: `the built-in Qianfan emulator at ${emulator.url} (fleet ${fleetFile}), since no QIANFAN_ACCESS_KEY or QIANFAN_CONSOLE_API_BASE_URL is set`,
    close: () => emulator.close(),
  };
}

/** A base URL without keys is an emulator started separately (`qfhk emulator`): it takes the demo pair. */
async function demoCredentials(): Promise<Credentials> {
  const { DEMO_CREDENTIALS } = await import("../emulator");
  return DEMO_CREDENTIALS;
}

function makeApi(credentials: Credentials, baseUrl: string | undefined, options: ConnectOptions): QianfanApi {
  const client = new QianfanClient({
    credentials: staticCredentials(credentials),
    baseUrl,
    pacing: options.pacing,
    retry: options.retry,
    timeoutMs: options.timeoutMs,
    onEvent: options.onEvent,
  });
  return new QianfanApi(client);
}
