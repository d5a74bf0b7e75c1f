import type { AuditRecord, LockResult, StateChange, StateStore } from "./types";

interface Entry {
  value: unknown;
  expiresAt?: number;
}

/** The state as plain data: what the file store writes and the memory store keeps. */
export interface StateData {
  items: Record<string, Record<string, Entry>>;
  locks: Record<string, { owner: string; expiresAt: number }>;
  audit: AuditRecord[];
}

/** A record's time for ordering; one with an unreadable `at` sorts as the oldest. */
const timeOf = (record: AuditRecord) => {
  const ms = Date.parse(record.at);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
};

/** A record's own entry: a key such as `__proto__` never reaches the object's prototype. */
function own<V>(record: Record<string, V>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Sets an own entry, whatever the key (plain assignment to `__proto__` would change the prototype). */
function setOwn<V>(record: Record<string, V>, key: string, value: V): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

export function emptyStateData(): StateData {
  return { items: {}, locks: {}, audit: [] };
}

/**
 * The store's rules applied to plain data, shared by the memory and the file store so the two
 * cannot disagree. `now` is the wall clock for expiry.
 */
export const stateOps = {
  get<T>(data: StateData, namespace: string, key: string, now: number): T | undefined {
    const ns = own(data.items, namespace);
    const entry = ns && own(ns, key);
    if (!entry || (entry.expiresAt !== undefined && entry.expiresAt <= now)) return undefined;
    return structuredClone(entry.value) as T;
  },
  list<T>(data: StateData, namespace: string, now: number): Array<{ key: string; value: T }> {
    return Object.entries(own(data.items, namespace) ?? {})
      .filter(([, e]) => e.expiresAt === undefined || e.expiresAt > now)
      .map(([key, e]) => ({ key, value: structuredClone(e.value) as T }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  },
  put(data: StateData, namespace: string, key: string, value: unknown, expiresAt?: Date): void {
    let ns = own(data.items, namespace);
    if (!ns) {
      ns = {};
      setOwn(data.items, namespace, ns);
    }
    setOwn(ns, key, {
      value: structuredClone(value),
      ...(expiresAt ? { expiresAt: expiresAt.getTime() } : {}),
    });
  },
  delete(data: StateData, namespace: string, key: string): void {
    const ns = own(data.items, namespace);
    if (!ns || !Object.hasOwn(ns, key)) return;
    delete ns[key];
    if (Object.keys(ns).length === 0) delete data.items[namespace];
  },
  writeBatch(data: StateData, changes: readonly StateChange[]): void {
    for (const c of changes) {
      if (c.delete) stateOps.delete(data, c.namespace, c.key);
      else stateOps.put(data, c.namespace, c.key, c.value, c.expiresAt);
    }
  },
  acquireLock(data: StateData, name: string, owner: string, leaseMs: number, now: Date): LockResult {
    const held = own(data.locks, name);
    if (held && held.owner !== owner && held.expiresAt > now.getTime()) {
      return { acquired: false, owner: held.owner, expiresAt: new Date(held.expiresAt) };
    }
    const expiresAt = now.getTime() + leaseMs;
    setOwn(data.locks, name, { owner, expiresAt });
    return { acquired: true, expiresAt: new Date(expiresAt) };
  },
  renewLock(data: StateData, name: string, owner: string, leaseMs: number, now: Date): boolean {
    const held = own(data.locks, name);
    if (!held || held.owner !== owner) return false;
    held.expiresAt = now.getTime() + leaseMs;
    return true;
  },
  releaseLock(data: StateData, name: string, owner: string): void {
    if (own(data.locks, name)?.owner === owner) delete data.locks[name];
  },
  /**
   * Keeps the trail in time order (oldest first; equal times in the order appended), so a record
   * that arrives late still lands where its `at` says, and the retention drops the oldest.
   */
  appendAudit(data: StateData, record: AuditRecord, retention: number): void {
    const at = timeOf(record);
    let index = data.audit.length;
    while (index > 0 && timeOf(data.audit[index - 1]!) > at) index -= 1;
    data.audit.splice(index, 0, structuredClone(record));
    if (data.audit.length > retention) data.audit.splice(0, data.audit.length - retention);
  },
  /** {@link stateOps.appendAudit} for many records, trimmed to the retention once. */
  appendAudits(data: StateData, records: readonly AuditRecord[], retention: number): void {
    for (const record of records) stateOps.appendAudit(data, record, Number.POSITIVE_INFINITY);
    if (data.audit.length > retention) data.audit.splice(0, data.audit.length - retention);
  },
  listAudit(data: StateData, query: { since?: Date; job?: string; limit?: number } = {}): AuditRecord[] {
    const since = query.since?.getTime();
    const out = data.audit
      .filter(
        (r) => (since === undefined || Date.parse(r.at) >= since) && (!query.job || r.job === query.job),
      )
      .reverse();
    return structuredClone(query.limit === undefined ? out : out.slice(0, Math.max(0, query.limit)));
  },
};

/** State in memory, for tests and one-off runs. */
export class MemoryStateStore implements StateStore {
  readonly #data = emptyStateData();
  readonly #clock: () => number;
  readonly #retention: number;

  constructor(options: { clock?: () => number; auditRetention?: number } = {}) {
    this.#clock = options.clock ?? Date.now;
    this.#retention = options.auditRetention ?? 5000;
  }

  async get<T>(namespace: string, key: string) {
    return stateOps.get<T>(this.#data, namespace, key, this.#clock());
  }
  async list<T>(namespace: string) {
    return stateOps.list<T>(this.#data, namespace, this.#clock());
  }
  async put<T>(namespace: string, key: string, value: T, options: { expiresAt?: Date } = {}) {
    stateOps.put(this.#data, namespace, key, value, options.expiresAt);
  }
  async delete(namespace: string, key: string) {
    stateOps.delete(this.#data, namespace, key);
  }
  async writeBatch(changes: readonly StateChange[]) {
    stateOps.writeBatch(this.#data, changes);
  }
  async acquireLock(name: string, owner: string, leaseMs: number, now: Date) {
    return stateOps.acquireLock(this.#data, name, owner, leaseMs, now);
  }
  async renewLock(name: string, owner: string, leaseMs: number, now: Date) {
    return stateOps.renewLock(this.#data, name, owner, leaseMs, now);
  }
  async releaseLock(name: string, owner: string) {
    stateOps.releaseLock(this.#data, name, owner);
  }
  async appendAudit(record: AuditRecord) {
    stateOps.appendAudit(this.#data, record, this.#retention);
  }
  async appendAuditBatch(records: readonly AuditRecord[]) {
    stateOps.appendAudits(this.#data, records, this.#retention);
  }
  async listAudit(query?: { since?: Date; job?: string; limit?: number }) {
    return stateOps.listAudit(this.#data, query);
  }
}
