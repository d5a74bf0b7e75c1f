import { describe, expect, it } from "vitest";
import type { AuditRecord, StateStore } from "../../lib/state";

/** The behaviour every StateStore must have; run for each implementation. */
export function describeStateStoreContract(
  name: string,
  make: () => Promise<{ store: StateStore; cleanup(): Promise<void> }>,
): void {
  const T0 = new Date("2026-11-23T00:00:00Z");
  const later = (ms: number) => new Date(T0.getTime() + ms);
  const withStore = (fn: (store: StateStore) => Promise<void>) => async () => {
    const { store, cleanup } = await make();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };
  const record = (over: Partial<AuditRecord>): AuditRecord => ({
    at: T0.toISOString(),
    runId: "run-1",
    job: "release-units",
    action: "ReleaseComputeUnit",
    resourceId: "unit-1",
    reason: "idle",
    outcome: "done",
    dryRun: false,
    ...over,
  });

  describe(`${name} state store contract`, () => {
    it(
      "stores, reads, lists and deletes values by namespace and key",
      withStore(async (store) => {
        await store.put("ns", "b", { n: 2 });
        await store.put("ns", "a", { n: 1 });
        await store.put("other", "a", { n: 9 });
        expect(await store.get("ns", "a")).toEqual({ n: 1 });
        expect(await store.list("ns")).toEqual([
          { key: "a", value: { n: 1 } },
          { key: "b", value: { n: 2 } },
        ]);
        await store.delete("ns", "a");
        expect(await store.get("ns", "a")).toBeUndefined();
        expect(await store.list("ns")).toEqual([{ key: "b", value: { n: 2 } }]);
        expect(await store.get("other", "a")).toEqual({ n: 9 });
      }),
    );

    it(
      "returns a copy, so changing it does not change the store",
      withStore(async (store) => {
        await store.put("ns", "a", { list: [1] });
        const value = (await store.get<{ list: number[] }>("ns", "a"))!;
        value.list.push(2);
        expect(await store.get("ns", "a")).toEqual({ list: [1] });
      }),
    );

    it(
      "does not return a value past its expiry",
      withStore(async (store) => {
        await store.put("ns", "gone", 1, { expiresAt: new Date(Date.now() - 1000) });
        await store.put("ns", "kept", 2, { expiresAt: new Date(Date.now() + 60_000) });
        expect(await store.get("ns", "gone")).toBeUndefined();
        expect(await store.list("ns")).toEqual([{ key: "kept", value: 2 }]);
      }),
    );

    it(
      "overwrites a value put again, and a put without expiry keeps it",
      withStore(async (store) => {
        await store.put("ns", "a", 1, { expiresAt: new Date(Date.now() - 1000) });
        await store.put("ns", "a", 2);
        expect(await store.get("ns", "a")).toBe(2);
        expect(await store.list("ns")).toEqual([{ key: "a", value: 2 }]);
      }),
    );

    it(
      "treats a missing key or namespace as empty, and deleting it as a no-op",
      withStore(async (store) => {
        expect(await store.get("ns", "nothing")).toBeUndefined();
        expect(await store.list("empty")).toEqual([]);
        await expect(store.delete("ns", "nothing")).resolves.toBeUndefined();
      }),
    );

    it(
      "gives the lock to one owner at a time",
      withStore(async (store) => {
        expect(await store.acquireLock("job:x", "run-a", 60_000, T0)).toEqual({
          acquired: true,
          expiresAt: later(60_000),
        });
        expect(await store.acquireLock("job:x", "run-b", 60_000, later(1000))).toEqual({
          acquired: false,
          owner: "run-a",
          expiresAt: later(60_000),
        });
        expect((await store.acquireLock("job:y", "run-b", 60_000, T0)).acquired).toBe(true);
      }),
    );

    it(
      "lets another owner take a lock whose lease ran out",
      withStore(async (store) => {
        await store.acquireLock("job:x", "run-a", 60_000, T0);
        expect((await store.acquireLock("job:x", "run-b", 60_000, later(60_000))).acquired).toBe(true);
        expect(await store.renewLock("job:x", "run-a", 60_000, later(61_000))).toBe(false);
      }),
    );

    it(
      "renews only for the owner",
      withStore(async (store) => {
        await store.acquireLock("job:x", "run-a", 60_000, T0);
        expect(await store.renewLock("job:x", "run-b", 60_000, later(1000))).toBe(false);
        expect(await store.renewLock("job:x", "run-a", 60_000, later(50_000))).toBe(true);
        expect((await store.acquireLock("job:x", "run-b", 60_000, later(70_000))).acquired).toBe(false);
      }),
    );

    it(
      "lets the holder take its own lock again, extending the lease",
      withStore(async (store) => {
        await store.acquireLock("job:x", "run-a", 60_000, T0);
        expect(await store.acquireLock("job:x", "run-a", 60_000, later(30_000))).toEqual({
          acquired: true,
          expiresAt: later(90_000),
        });
        expect(await store.acquireLock("job:x", "run-b", 60_000, later(70_000))).toMatchObject({
          acquired: false,
          owner: "run-a",
        });
      }),
    );

    it(
      "does not renew a lock that was released",
      withStore(async (store) => {
        await store.acquireLock("job:x", "run-a", 60_000, T0);
        await store.releaseLock("job:x", "run-a");
        expect(await store.renewLock("job:x", "run-a", 60_000, later(1000))).toBe(false);
        expect((await store.acquireLock("job:x", "run-b", 60_000, later(2000))).acquired).toBe(true);
      }),
    );

    it(
      "releases only for the owner",
      withStore(async (store) => {
        await store.acquireLock("job:x", "run-a", 60_000, T0);
        await store.releaseLock("job:x", "run-b");
        expect((await store.acquireLock("job:x", "run-b", 60_000, later(1))).acquired).toBe(false);
        await store.releaseLock("job:x", "run-a");
        expect((await store.acquireLock("job:x", "run-b", 60_000, later(2))).acquired).toBe(true);
      }),
    );

    it(
      "keeps the audit trail newest first, filtered by job, time and limit",
      withStore(async (store) => {
        await store.appendAudit(record({ at: "2026-11-23T00:00:00Z", resourceId: "u1" }));
        await store.appendAudit(
          record({ at: "2026-11-23T01:00:00Z", resourceId: "t1", job: "stop-batch-tasks" }),
        );
        await store.appendAudit(record({ at: "2026-11-23T02:00:00Z", resourceId: "u2", requestId: "r-2" }));
        expect((await store.listAudit()).map((r) => r.resourceId)).toEqual(["u2", "t1", "u1"]);
        expect((await store.listAudit({ job: "release-units" })).map((r) => r.resourceId)).toEqual([
          "u2",
          "u1",
        ]);
        expect(
          (await store.listAudit({ since: new Date("2026-11-23T01:00:00Z") })).map((r) => r.resourceId),
        ).toEqual(["u2", "t1"]);
        expect((await store.listAudit({ limit: 1 }))[0]).toMatchObject({
          resourceId: "u2",
          requestId: "r-2",
        });
        expect(await store.listAudit({ limit: 0 })).toEqual([]);
      }),
    );

    it(
      "orders the audit trail by time even when a record arrives late",
      withStore(async (store) => {
        await store.appendAudit(record({ at: "2026-11-23T02:00:00.000Z", resourceId: "late" }));
        await store.appendAudit(record({ at: "2026-11-23T01:00:00.000Z", resourceId: "early" }));
        await store.appendAudit(record({ at: "2026-11-23T03:00:00.000Z", resourceId: "latest" }));
        expect((await store.listAudit()).map((r) => r.resourceId)).toEqual(["latest", "late", "early"]);
      }),
    );

    it(
      "applies a batch of puts and deletes in order, the last change of a key holding",
      withStore(async (store) => {
        await store.put("ns", "old", 1);
        await store.put("ns", "twice", 0);
        // More items than one DynamoDB BatchWriteItem takes (25).
        const many = Array.from({ length: 60 }, (_, i) => ({
          namespace: "ns",
          key: `k${String(i).padStart(2, "0")}`,
          value: { i },
        }));
        await store.writeBatch([
          { namespace: "ns", key: "old", delete: true },
          ...many,
          { namespace: "ns", key: "twice", value: 1 },
          { namespace: "ns", key: "twice", value: 2 },
          { namespace: "ns", key: "gone", value: 1, expiresAt: new Date(Date.now() - 1000) },
          { namespace: "other", key: "a", value: "x", expiresAt: new Date(Date.now() + 60_000) },
        ]);
        const listed = await store.list("ns");
        expect(listed.map((e) => e.key)).toEqual([...many.map((m) => m.key), "twice"]);
        expect(await store.get("ns", "k07")).toEqual({ i: 7 });
        expect(await store.get("ns", "twice")).toBe(2);
        expect(await store.get("ns", "old")).toBeUndefined();
        expect(await store.get("other", "a")).toBe("x");
        await store.writeBatch([]);
        expect(await store.list("ns")).toHaveLength(61);
      }),
    );

    it(
      "appends a batch of audit records as if one by one",
      withStore(async (store) => {
        await store.appendAudit(record({ at: "2026-11-22T23:00:00Z", resourceId: "before" }));
        const batch = Array.from({ length: 40 }, (_, i) =>
          record({ at: new Date(T0.getTime() + (i + 1) * 60_000).toISOString(), resourceId: `u${i}` }),
        );
        await store.appendAuditBatch(batch);
        await store.appendAuditBatch([]);
        const listed = await store.listAudit();
        expect(listed.map((r) => r.resourceId)).toEqual([
          ...batch.map((r) => r.resourceId).reverse(),
          "before",
        ]);
        expect(listed[0]).toEqual(batch.at(-1));
      }),
    );

    it(
      "keeps an audit record's optional and extra fields",
      withStore(async (store) => {
        const full = record({ requestId: "r-1", detail: "released", dryRun: true, savedPerHour: 12.5 });
        await store.appendAudit(full);
        expect(await store.listAudit()).toEqual([full]);
      }),
    );
  });
}
