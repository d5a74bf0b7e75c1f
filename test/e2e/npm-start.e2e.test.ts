import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const exec = promisify(execFile);

it("npm start's command runs every job on the built-in emulator and prints a readable report", async () => {
  const dir = await mkdtemp(join(tmpdir(), "qfhk-start-"));
  try {
    const env: Record<string, string | undefined> = {
      ...process.env,
      QFHK_STATE_PATH: join(dir, "state.json"),
    };
    delete env.QIANFAN_ACCESS_KEY;
    delete env.QIANFAN_SECRET_KEY;
    delete env.QIANFAN_CONSOLE_API_BASE_URL;
    const { stdout, stderr } = await exec(
      process.execPath,
      ["bin/qfhk.mjs", "run", "all", "--config", "housekeeping.example.yml"],
      {
        env,
        timeout: 150_000,
      },
    );
    expect(stderr.split("\n")[0]).toMatch(
      /^Using the built-in Qianfan emulator at http:\/\/127\.0\.0\.1:\d+/,
    );
    expect(stdout).toContain("APPLY");
    expect(stdout).toContain("== release-units: ok");
    expect(stdout).toMatch(/unit-e5r1w7yz .* release +auto-release time .* passed .* done: status Releasing/);
    expect(stdout).toMatch(/unit-p4x8c1ab .* keep +prepaid: never released by this tool/);
    expect(stdout).toMatch(/compute units released, saving \d+ CNY\/hour/);
    expect(stdout).toContain("== stop-batch-tasks: ok");
    expect(stdout).toMatch(
      /infer-ovr1n2k8 .* stop +running for 1d5h, > maxRuntime 1d .* done: runStatus Stopping/,
    );
    expect(stdout).toMatch(/infer-trn4d8e2 .* keep +protected by/);
    expect(stdout).not.toMatch(/at .*\.ts:\d+/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
