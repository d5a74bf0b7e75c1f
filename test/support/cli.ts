import { execFile } from "node:child_process";
import { promisify } from "node:util";

const exec = promisify(execFile);

/**
 * Runs `bin/qfhk.mjs` in a child process against `baseUrl` with no keys in the environment (the
 * emulator's demo pair is used), and returns its exit code and output.
 */
export async function runQfhk(
  args: string[],
  baseUrl: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = { ...process.env, QIANFAN_CONSOLE_API_BASE_URL: baseUrl };
  delete env.QIANFAN_ACCESS_KEY;
  delete env.QIANFAN_SECRET_KEY;
  try {
    const { stdout, stderr } = await exec(process.execPath, ["bin/qfhk.mjs", ...args], {
      env,
      timeout: 170_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** An io that keeps what a command prints, for assertions: `out` (stdout) and `err` (stderr). */
export function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) }, out, err };
}
