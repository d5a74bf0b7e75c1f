import { DEMO_FLEET_PATH } from "../lib/cli/connect";
import { DEMO_CREDENTIALS, loadFleetFile, startEmulator } from "../lib/emulator";
import { QianfanApi, QianfanClient, staticCredentials } from "../lib/qianfan";

/**
 * 2,000 calls against the emulator with 25 ms latency and a 200 requests/s server limit. The wall
 * time cannot be under 10 s (2,000 / 200); the client's pacing should keep it close to that with
 * no failures and few 429s.
 */
export async function benchClient(calls = 2000): Promise<{
  calls: number;
  wallMs: number;
  lowerBoundMs: number;
  ratio: number;
  failures: number;
  throttled: number;
}> {
  const serverQps = 200;
  const emulator = await startEmulator({
    fleet: await loadFleetFile(DEMO_FLEET_PATH),
    port: 0,
    faults: { latencyMs: 25, qps: serverQps },
  });
  try {
    const client = new QianfanClient({
      credentials: staticCredentials(DEMO_CREDENTIALS),
      baseUrl: emulator.url,
      // A fixed rate at the server's limit, which the client keeps its margin under (CEILING_SHARE);
      // bench:pacing measures the adaptive rate.
      pacing: { requestsPerSecond: serverQps, concurrency: 16, adaptive: false },
    });
    const api = new QianfanApi(client);
    const units = await api.describeComputeUnits();
    emulator.resetLog();
    const ids = units.map((u) => u.instanceId);
    const start = performance.now();
    let failures = 0;
    await Promise.all(
      Array.from({ length: calls }, (_, i) =>
        api.describeComputeUnit(ids[i % ids.length]!).catch(() => {
          failures += 1;
        }),
      ),
    );
    const wallMs = performance.now() - start;
    const throttled = emulator.requestLog.filter((entry) => entry.status === 429).length;
    const lowerBoundMs = (calls / serverQps) * 1000;
    return { calls, wallMs, lowerBoundMs, ratio: wallMs / lowerBoundMs, failures, throttled };
  } finally {
    await emulator.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await benchClient();
  console.log(
    `client: ${r.calls} calls in ${(r.wallMs / 1000).toFixed(2)} s (lower bound ${(r.lowerBoundMs / 1000).toFixed(1)} s, ${r.ratio.toFixed(3)}×), ${r.failures} failures, ${r.throttled} answered 429`,
  );
}
