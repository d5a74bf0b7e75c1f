import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("never lets two processes hold the same file lock at once", async () => {
  const dir = await mkdtemp(join(tmpdir(), "qfhk-race-"));
  try {
    const path = join(dir, "state.json");
    const worker = (owner: string) =>
      run(process.execPath, ["bin/run-ts.mjs", "test/state/race-worker.ts", path, owner, "25"], {
        timeout: 60_000,
      });
    const [a, b] = await Promise.all([worker("a"), worker("b")]);
    const intervals = [...JSON.parse(a.stdout), ...JSON.parse(b.stdout)] as Array<[number, number]>;
    expect(intervals).toHaveLength(50);
    intervals.sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < intervals.length; i += 1) {
      expect(intervals[i]![0]).toBeGreaterThanOrEqual(intervals[i - 1]![1]);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
