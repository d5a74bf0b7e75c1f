import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AuditRecord, FileStateStore, MemoryStateStore, type StateStore } from "../../lib/state";

// The stores are checked against a model written as plainly as possible: a map of values with
// expiry times, a map of leases, and an audit list sorted by time. Any sequence of operations
// (with the clock moving forward between them) must give the same answers from store and model.

const T0 = Date.parse("2026-11-23T00:00:00Z");
const RETENTION = 4;

type Op =
  | { op: "advance"; ms: number }
  | { op: "put"; ns: string; key: string; value: number; ttl: number | null }
  | { op: "delete"; ns: string; key: string }
  | { op: "get"; ns: string; key: string }
  | { op: "list"; ns: string }
  | { op: "acquire"; name: string; owner: string; lease: number }
  | { op: "renew"; name: string; owner: string; lease: number }
  | { op: "release"; name: string; owner: string }
  | { op: "audit"; offset: number; job: string; id: number }
  | { op: "listAudit"; since: number | null; job: string | null; limit: number | null };

const ns = fc.constantFrom("marks", "snoozes");
const key = fc.constantFrom("k1", "k2", "k3");
const name = fc.constantFrom("job:a", "job:b");
const owner = fc.constantFrom("run-1", "run-2", "run-3");
// Small, coarse domains, so that "exactly at expiry" and equal audit times come up often.
const lease = fc.constantFrom(10, 20, 30);
const job = fc.constantFrom("release-units", "stop-batch-tasks");

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("advance" as const), ms: fc.constantFrom(0, 5, 10, 20) }),
  fc.record({
    op: fc.constant("put" as const),
    ns,
    key,
    value: fc.integer(),
    ttl: fc.option(fc.constantFrom(-10, 0, 10, 20)),
  }),
  fc.record({ op: fc.constant("delete" as const), ns, key }),
  fc.record({ op: fc.constant("get" as const), ns, key }),
  fc.record({ op: fc.constant("list" as const), ns }),
  fc.record({ op: fc.constant("acquire" as const), name, owner, lease }),
  fc.record({ op: fc.constant("renew" as const), name, owner, lease }),
  fc.record({ op: fc.constant("release" as const), name, owner }),
  fc.record({
    op: fc.constant("audit" as const),
    offset: fc.constantFrom(-20, -10, 0, 10),
    job,
    id: fc.nat(),
  }),
  fc.record({
    op: fc.constant("listAudit" as const),
    since: fc.option(fc.constantFrom(-10, 0, 10, 30, 60)),
    job: fc.option(job),
    limit: fc.option(fc.integer({ min: 0, max: 5 })),
  }),
);

class Model {
  now = T0;
  values = new Map<string, { value: number; expiresAt: number | null }>();
  leases = new Map<string, { owner: string; until: number }>();
  audit: AuditRecord[] = [];

  apply(op: Op): unknown {
    const id = (n: string, k: string) => `${n}\u0000${k}`;
    const live = (e: { expiresAt: number | null } | undefined) =>
      e !== undefined && (e.expiresAt === null || e.expiresAt > this.now);
    switch (op.op) {
      case "advance":
        this.now += op.ms;
        return undefined;
      case "put":
        this.values.set(id(op.ns, op.key), {
          value: op.value,
          expiresAt: op.ttl === null ? null : this.now + op.ttl,
        });
        return undefined;
      case "delete":
        this.values.delete(id(op.ns, op.key));
        return undefined;
      case "get": {
        const entry = this.values.get(id(op.ns, op.key));
        return live(entry) ? entry!.value : undefined;
      }
      case "list":
        return ["k1", "k2", "k3"]
          .filter((k) => live(this.values.get(id(op.ns, k))))
          .map((k) => ({ key: k, value: this.values.get(id(op.ns, k))!.value }));
      case "acquire": {
        const held = this.leases.get(op.name);
        if (held && held.owner !== op.owner && held.until > this.now) {
          return { acquired: false, owner: held.owner, expiresAt: new Date(held.until) };
        }
        this.leases.set(op.name, { owner: op.owner, until: this.now + op.lease });
        return { acquired: true, expiresAt: new Date(this.now + op.lease) };
      }
      case "renew": {
        const held = this.leases.get(op.name);
        if (held?.owner !== op.owner) return false;
        held.until = this.now + op.lease;
        return true;
      }
      case "release":
        if (this.leases.get(op.name)?.owner === op.owner) this.leases.delete(op.name);
        return undefined;
      case "audit": {
        this.audit.push(auditRecord(this.now + op.offset, op.job, op.id));
        // Stable sort: equal times stay in the order appended.
        this.audit.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
        this.audit = this.audit.slice(-RETENTION);
        return undefined;
      }
      case "listAudit": {
        const since = op.since === null ? undefined : T0 + op.since;
        const out = this.audit
          .filter((r) => since === undefined || Date.parse(r.at) >= since)
          .filter((r) => op.job === null || r.job === op.job)
          .reverse();
        return op.limit === null ? out : out.slice(0, op.limit);
      }
    }
  }
}

function auditRecord(at: number, job: string, id: number): AuditRecord {
  return {
    at: new Date(at).toISOString(),
    runId: "run-1",
    job,
    action: "ReleaseComputeUnit",
    resourceId: `unit-${id}`,
    reason: "idle",
    outcome: "done",
    dryRun: false,
  };
}

async function applyToStore(store: StateStore, op: Op, now: number): Promise<unknown> {
  switch (op.op) {
    case "advance":
      return undefined;
    case "put":
      return store.put(op.ns, op.key, op.value, op.ttl === null ? {} : { expiresAt: new Date(now + op.ttl) });
    case "delete":
      return store.delete(op.ns, op.key);
    case "get":
      return store.get(op.ns, op.key);
    case "list":
      return store.list(op.ns);
    case "acquire":
      return store.acquireLock(op.name, op.owner, op.lease, new Date(now));
    case "renew":
      return store.renewLock(op.name, op.owner, op.lease, new Date(now));
    case "release":
      return store.releaseLock(op.name, op.owner);
    case "audit":
      return store.appendAudit(auditRecord(now + op.offset, op.job, op.id));
    case "listAudit":
      return store.listAudit({
        ...(op.since === null ? {} : { since: new Date(T0 + op.since) }),
        ...(op.job === null ? {} : { job: op.job }),
        ...(op.limit === null ? {} : { limit: op.limit }),
      });
  }
}

/** Runs `ops` on a fresh store and the model; the store's answers must be the model's. */
async function agreesWithModel(
  make: (clock: () => number) => Promise<{ store: StateStore; cleanup(): Promise<void> }>,
  ops: Op[],
): Promise<void> {
  const model = new Model();
  const { store, cleanup } = await make(() => model.now);
  try {
    for (const [step, op] of ops.entries()) {
      const actual = await applyToStore(store, op, model.now);
      const expected = model.apply(op);
      expect(actual, `step ${step}: ${JSON.stringify(op)}`).toEqual(expected);
    }
  } finally {
    await cleanup();
  }
}

describe("state stores against a model", () => {
  it("the memory store answers every sequence of operations as the model does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 60, size: "max" }), (ops) =>
        agreesWithModel(
          async (clock) => ({
            store: new MemoryStateStore({ clock, auditRetention: RETENTION }),
            cleanup: async () => {},
          }),
          ops,
        ),
      ),
      { numRuns: 300 },
    );
  });

  it("the file store answers every sequence of operations as the model does", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 30, size: "max" }), async (ops) => {
        const dir = await mkdtemp(join(tmpdir(), "qfhk-model-"));
        await agreesWithModel(
          async (clock) => ({
            store: new FileStateStore(join(dir, "state.json"), { clock, auditRetention: RETENTION }),
            cleanup: () => rm(dir, { recursive: true, force: true }),
          }),
          ops,
        );
      }),
      { numRuns: 15 },
    );
  });

  it("never has two owners holding a lease at the same moment", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80, size: "max" }), async (ops) => {
        let now = T0;
        const store = new MemoryStateStore({ clock: () => now });
        // What each owner was told: it holds `name` until `until`, unless it released it since.
        const told = new Map<string, Map<string, number>>();
        for (const op of ops) {
          if (op.op === "advance") now += op.ms;
          if (op.op === "acquire" || op.op === "renew" || op.op === "release") {
            const holders = told.get(op.name) ?? new Map<string, number>();
            told.set(op.name, holders);
            const result = await applyToStore(store, op, now);
            if (op.op === "release") holders.delete(op.owner);
            else if (result === true || (result as { acquired?: boolean }).acquired === true) {
              holders.set(op.owner, now + op.lease);
            }
            const current = [...holders.values()].filter((until) => until > now);
            expect(current.length, JSON.stringify(op)).toBeLessThanOrEqual(1);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
