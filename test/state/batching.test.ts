import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AUDIT_BATCH, runJobs } from "../../lib/engine/runner";
import { releaseUnitsJob } from "../../lib/jobs";
import {
  type AuditRecord,
  FileStateStore,
  JobMemory,
  MemoryStateStore,
  type StateChange,
} from "../../lib/state";
import { expiredUnit, FakeUnitApi } from "../support/fake-api";

const NOW = new Date("2026-11-23T06:00:00Z");
const H = 3_600_000;

/** A memory store that counts the calls made to it, by method. */
class CountingStore extends MemoryStateStore {
  readonly calls = new Map<string, number>();
  readonly batches: StateChange[][] = [];

  #count(name: string) {
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }
  count(name: string): number {
    return this.calls.get(name) ?? 0;
  }
  override async list<T>(namespace: string) {
    this.#count("list");
    return super.list<T>(namespace);
  }
  override async put<T>(namespace: string, key: string, value: T, options?: { expiresAt?: Date }) {
    this.#count("put");
    return super.put(namespace, key, value, options);
  }
  override async delete(namespace: string, key: string) {
    this.#count("delete");
    return super.delete(namespace, key);
  }
  override async writeBatch(changes: readonly StateChange[]) {
    this.#count("writeBatch");
    this.batches.push([...changes]);
    return super.writeBatch(changes);
  }
  override async appendAudit(record: AuditRecord) {
    this.#count("appendAudit");
    return super.appendAudit(record);
  }
  override async appendAuditBatch(records: readonly AuditRecord[]) {
    this.#count("appendAuditBatch");
    return super.appendAuditBatch(records);
  }
}

const audit = (i: number): AuditRecord => ({
  at: new Date(NOW.getTime() + i * 1000).toISOString(),
  runId: "r",
  job: "release-units",
  action: "ReleaseComputeUnit",
  resourceId: `u${i}`,
  reason: "expired",
  outcome: "done",
  dryRun: false,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qfhk-batch-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the file store writes a batch as one file write", () => {
  it("writes N changes or N audit records with one write each, whatever N", async () => {
    // fast-check may draw the same (n, m) twice: each run gets a file of its own.
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 600 }), async (n, m) => {
        run += 1;
        const path = join(dir, `state-${run}.json`);
        const store = new FileStateStore(path, { auditRetention: 500 });
        const changes = Array.from({ length: n }, (_, i) => ({ namespace: "ns", key: `k${i}`, value: i }));

        await store.writeBatch(changes);
        await store.appendAuditBatch(Array.from({ length: m }, (_, i) => audit(i)));

        expect(store.fileWrites).toBe(2);
        expect(await store.list("ns")).toHaveLength(n);
        const trail = await store.listAudit();
        expect(trail).toHaveLength(Math.min(m, 500));
        expect(trail[0]!.resourceId).toBe(`u${m - 1}`);
      }),
      { numRuns: 12 },
    );
  });

  it("leaves the file as it was when a batch cannot be written", async () => {
    const path = join(dir, "state.json");
    const store = new FileStateStore(path);
    await store.put("ns", "kept", 1);
    const before = await readFile(path, "utf8");
    // A value JSON cannot write (a BigInt): the batch fails as a whole, nothing of it lands.
    await expect(
      store.writeBatch([
        { namespace: "ns", key: "first", value: 1 },
        { namespace: "ns", key: "bad", value: { n: 1n } },
      ]),
    ).rejects.toThrow();
    expect(await readFile(path, "utf8")).toBe(before);
  });
});

describe("JobMemory.replaceMarks", () => {
  it("makes one listing and at most one batch, whatever the number of marks", async () => {
    for (const n of [1, 10, 2_000]) {
      const store = new CountingStore();
      const memory = new JobMemory(store);
      const first = new Map(Array.from({ length: n }, (_, i) => [`u${i}`, { idleSince: NOW.toISOString() }]));

      await memory.replaceMarks("release-units", first);
      // Half forgotten, a quarter changed, the rest as they were.
      const second = new Map(
        [...first]
          .filter((_, i) => i % 2 === 0)
          .map(([id, mark], i) => [id, i % 2 === 0 ? { ...mark, noticeGivenAt: NOW.toISOString() } : mark]),
      );
      await memory.replaceMarks("release-units", second);
      await memory.replaceMarks("release-units", second);

      expect(store.count("list")).toBe(3);
      expect(store.count("put") + store.count("delete")).toBe(0);
      // The third call had nothing to change, so it wrote nothing.
      expect(store.count("writeBatch")).toBe(2);
      expect(await memory.getMarks("release-units")).toEqual(second);
    }
  });

  it("puts the forgetting first in a batch", async () => {
    const store = new CountingStore();
    const memory = new JobMemory(store);
    await memory.replaceMarks("j", new Map([["gone", { idleSince: "2026-11-23T00:00:00Z" }]]));
    await memory.replaceMarks("j", new Map([["new", { idleSince: "2026-11-23T05:00:00Z" }]]));
    expect(store.batches[1]!.map((c) => [c.key, c.delete === true])).toEqual([
      ["gone", true],
      ["new", false],
    ]);
  });
});

describe("the runner writes the audit trail in batches", () => {
  it("writes N actions' records in at most N / batch + 1 writes, and all of them", async () => {
    const n = 2 * AUDIT_BATCH + 7;
    const units = Array.from({ length: n }, (_, i) => expiredUnit(`u${i}`));
    const idle = Array.from({ length: n }, (_, i) => expiredUnit(`idle${i}`, { releaseTime: undefined }));
    const api = new FakeUnitApi([...units, ...idle]);
    const store = new CountingStore({ clock: () => NOW.getTime() });
    const report = await runJobs({
      jobs: [
        releaseUnitsJob({
          policy: { minAgeMs: H, idleForMs: 2 * H, timeZone: "UTC" },
          protectedBy: () => undefined,
          confirm: { attempts: 1, delayMs: 0 },
        }),
      ],
      api: api.asApi(),
      store,
      memory: new JobMemory(store),
      guards: {
        maxActionsPerRun: 10 * n,
        maxFleetFraction: 1,
        allowEmptyListing: false,
        allowInvalidItems: false,
      },
      now: NOW,
      clock: () => NOW,
      dryRun: false,
      target: "fake",
    });

    expect(report.jobs[0]!.totals.done).toBe(n);
    expect(store.count("appendAudit")).toBe(0);
    expect(store.count("appendAuditBatch")).toBeLessThanOrEqual(Math.ceil(n / AUDIT_BATCH) + 1);
    expect(await store.listAudit({ limit: 10 * n })).toHaveLength(n);
    // The first run marks every idle unit: one batch, not one put each.
    expect(store.count("put")).toBe(1);
    expect(store.count("writeBatch")).toBe(1);
    expect((await new JobMemory(store).getMarks("release-units")).size).toBe(n);
  });
});
