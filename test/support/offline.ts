import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";

/** `count` ports free on 127.0.0.1 right now (each found by listening on port 0, then closed). */
export async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  const servers = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    servers.push(server);
    ports.push((server.address() as { port: number }).port);
  }
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}

export interface RunningOffline {
  /** Everything it printed so far, stdout and stderr together. */
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Starts `qfhk offline` in its own process group and waits until it serves; `stop` interrupts the
 * group (qfhk, serverless and the functions it runs), then kills what is left after 15 s.
 */
export async function startQfhkOffline(
  args: string[],
  env: Record<string, string | undefined>,
  readyTimeoutMs = 150_000,
): Promise<RunningOffline> {
  const child = spawn(process.execPath, ["bin/qfhk.mjs", "offline", ...args], {
    env: env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let output = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`qfhk offline not ready:\n${output}`)), readyTimeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (output.includes("Chat webhook:")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`qfhk offline stopped before it was ready:\n${output}`));
    });
  });
  const stop = () => stopGroup(child, exited);
  try {
    await ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return { output: () => output, stop };
}

async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // Already gone.
    }
  };
  signal("SIGINT");
  const timer = setTimeout(() => signal("SIGKILL"), 15_000);
  await exited;
  clearTimeout(timer);
  // Whatever serverless started and left in the group.
  signal("SIGKILL");
}
