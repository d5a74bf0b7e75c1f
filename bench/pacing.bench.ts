import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEMO_CREDENTIALS } from "../lib/emulator";
import { QianfanApi, QianfanClient, staticCredentials } from "../lib/qianfan";
import { simulatePacing } from "../test/support/pacing-simulation";

export interface PacingFigures {
  limit: number;
  /** Clean answers per second over the settled stretch. */
  settledPerSecond: number;
  sent: number;
  throttled: number;
}

const QFHK = new URL("../bin/qfhk.mjs", import.meta.url).pathname;

/**
 * The adaptive pacing against `qfhk emulator --latency-ms 25 --qps LIMIT` (a rolling second, 429
 * code 18 with Retry-After), run as its own process so the client has a core to itself: 64
 * callers keep calling for `seconds` on a client whose ceiling (5,000/s) is far above the limit,
 * so only the adaptation holds it back. The settled rate is measured over the last
 * `settleSeconds`; the throttled share over the whole run, start included.
 */
export async function benchPacing(
  limits = [50, 200, 1000],
  seconds = 40,
  settleSeconds = 30,
): Promise<PacingFigures[]> {
  const dir = await mkdtemp(join(tmpdir(), "qfhk-pacing-"));
  // One small task: the answers stay small, so the bench measures the pacing, not JSON and CPU.
  const fleetFile = join(dir, "fleet.json");
  await writeFile(
    fleetFile,
    JSON.stringify({
      batchTasks: [{ taskId: "task-1", name: "t", runStatus: "Running", createTime: "2026-11-23T00:00:00Z" }],
    }),
  );
  const figures: PacingFigures[] = [];
  try {
    for (const limit of limits) figures.push(await measure(fleetFile, limit, seconds, settleSeconds));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return figures;
}

async function measure(fleetFile: string, limit: number, seconds: number, settleSeconds: number) {
  const port = await freePort();
  const args = [QFHK, "emulator", "--port", String(port), "--fleet", fleetFile, "--latency-ms", "25"];
  const child = spawn(process.execPath, [...args, "--qps", String(limit)], { stdio: "ignore" });
  try {
    const clean: number[] = [];
    let sent = 0;
    let throttled = 0;
    let counting = false;
    const client = new QianfanClient({
      credentials: staticCredentials(DEMO_CREDENTIALS),
      baseUrl: `http://127.0.0.1:${port}`,
      pacing: { requestsPerSecond: 5000, concurrency: 64 },
      onEvent: (event) => {
        if (event.type !== "response" || !counting) return;
        sent += 1;
        if (event.status === 200) clean.push(performance.now());
        if (event.status === 429) throttled += 1;
      },
    });
    const api = new QianfanApi(client);
    await waitUntilUp(api);
    counting = true;
    const end = performance.now() + seconds * 1000;
    const caller = async () => {
      while (performance.now() < end) await api.describeBatchTask("task-1").catch(() => {});
    };
    await Promise.all(Array.from({ length: 64 }, caller));
    const from = end - settleSeconds * 1000;
    const settled = clean.filter((at) => at >= from && at < end).length / settleSeconds;
    return { limit, settledPerSecond: settled, sent, throttled };
  } finally {
    child.kill();
  }
}

async function waitUntilUp(api: QianfanApi): Promise<void> {
  for (let i = 0; i < 100; i += 1) {
    try {
      await api.describeBatchTask("task-1");
      // Let the emulator's rolling second forget the probe.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error("the emulator did not start");
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export function formatPacing(f: PacingFigures): string {
  const share = ((100 * f.settledPerSecond) / f.limit).toFixed(1);
  const throttled = ((100 * f.throttled) / Math.max(1, f.sent)).toFixed(2);
  return `pacing at a ${f.limit}/s limit: settled ${f.settledPerSecond.toFixed(1)}/s (${share}% of the limit), ${f.throttled} of ${f.sent} requests throttled (${throttled}%)`;
}

/**
 * The same pacer on a simulated clock against the same kind of limit (rolling second, Retry-After
 * in whole seconds), 90 s with the last 60 s measured: the figures of the pacing alone, free of the
 * machine's load and of the emulator's own speed.
 */
export function simulatedPacing(limits = [50, 200, 1000]): PacingFigures[] {
  return limits.map((limit) => {
    const o = simulatePacing({
      limitPerSecond: limit,
      ceilingPerSecond: 5000,
      startPerSecond: 50,
      concurrency: 64,
      latencyMs: 25,
      seconds: 90,
      settleSeconds: 60,
    });
    return { limit, settledPerSecond: o.settledPerSecond, sent: o.sent, throttled: o.throttled };
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const f of simulatedPacing()) console.log(`simulated ${formatPacing(f)}`);
  if (!process.argv.includes("--simulated")) {
    for (const f of await benchPacing()) console.log(`emulator ${formatPacing(f)}`);
  }
}
