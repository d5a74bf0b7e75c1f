import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const run = promisify(execFile);

it("never lets two processes hold the same file lock at once", { timeout: 150_000 }, async () => {
  // Arrange: two processes, each taking and giving back the same lock 25 times.
  const dir = await mkdtemp(join(tmpdir(), "qfhk-race-"));
  try {
    const path = join(dir, "state.json");
    const worker = (owner: string) =>
      run(process.execPath, ["bin/run-ts.mjs", "test/state/race-worker.ts", path, owner, "25", "12000"], {
        timeout: 140_000,
      });

    // Act
    const outputs = await Promise.all(["a", "b"].map(worker));

    // Assert: every round got the lock, and no two holding intervals overlap.
    const reports = outputs.map((o) => JSON.parse(o.stdout) as { held: [number, number][]; gaveUp: boolean });
    expect(reports.map((r) => r.gaveUp)).toEqual([false, false]);
    const intervals = reports.flatMap((r) => r.held).sort((x, y) => x[0] - y[0]);
    expect(intervals).toHaveLength(50);
    for (let i = 1; i < intervals.length; i += 1) {
      expect(intervals[i]![0], `interval ${i} starts before ${i - 1} ends`).toBeGreaterThanOrEqual(
        intervals[i - 1]![1],
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
