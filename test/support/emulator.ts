import {
  DEMO_CREDENTIALS,
  EmulatorClock,
  type EmulatorOptions,
  type Fleet,
  parseFleet,
  type RunningEmulator,
  startEmulator,
} from "../../lib/emulator";
import { QianfanApi, QianfanClient, type QianfanClientOptions, staticCredentials } from "../../lib/qianfan";

export const T0 = new Date("2026-11-23T02:00:00Z");

/** Starts an emulator on 127.0.0.1 with a frozen clock at T0 (unless given one). */
export async function emulatorWith(
  fleet: Fleet,
  options: Partial<EmulatorOptions> = {},
): Promise<RunningEmulator> {
  return startEmulator({
    fleet: parseFleet(fleet),
    port: 0,
    clock: new EmulatorClock(T0, { frozen: true }),
    transitionSeconds: 3,
    ...options,
  });
}

/** A QianfanApi talking to the emulator, with fast retries for tests. */
export function apiFor(emulator: RunningEmulator, options: Partial<QianfanClientOptions> = {}): QianfanApi {
  return new QianfanApi(
    new QianfanClient({
      credentials: staticCredentials(DEMO_CREDENTIALS),
      baseUrl: emulator.url,
      retry: { retries: 8, minDelayMs: 2, maxDelayMs: 20, maxRetryTimeMs: 20_000 },
      pacing: { requestsPerSecond: 2000, concurrency: 16, adaptive: false },
      ...options,
    }),
    { purchaseVerification: { listings: 2, delayMs: 10 } },
  );
}

export const postpaidUnit = (instanceId: string, over: Record<string, unknown> = {}) => ({
  instanceId,
  region: "bj" as const,
  type: "gpu-1",
  totalComputeUnits: 4,
  usedComputeUnits: 0,
  paymentTiming: "Postpaid" as const,
  startTime: "2026-11-20T00:00:00Z",
  creator: "alice@example.com",
  ...over,
});

export const task = (taskId: string, over: Record<string, unknown> = {}) => ({
  taskId,
  name: taskId,
  runStatus: "Running" as const,
  createTime: "2026-11-23T00:00:00Z",
  ...over,
});
