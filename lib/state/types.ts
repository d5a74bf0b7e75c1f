/** One entry of the audit trail: every action, notice and guard stop, with its reason. */
export interface AuditRecord {
  at: string;
  runId: string;
  job: string;
  action: string;
  resourceId: string;
  reason: string;
  outcome: "done" | "failed" | "skipped" | "deferred" | "planned";
  requestId?: string;
  detail?: string;
  dryRun: boolean;
  [extra: string]: unknown;
}

export type LockResult =
  | { acquired: true; expiresAt: Date }
  | { acquired: false; owner: string; expiresAt: Date };

/**
 * Remembered state behind one small key-value interface (namespace + key, like a DynamoDB table
 * with pk/sk), plus a lease-based run lock and an append-only audit trail.
 */
export interface StateStore {
  get<T>(namespace: string, key: string): Promise<T | undefined>;
  list<T>(namespace: string): Promise<Array<{ key: string; value: T }>>;
  put<T>(namespace: string, key: string, value: T, options?: { expiresAt?: Date }): Promise<void>;
  delete(namespace: string, key: string): Promise<void>;
  /** Takes the named lock for `leaseMs`; a lease that ran out may be taken over. */
  acquireLock(name: string, owner: string, leaseMs: number, now: Date): Promise<LockResult>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renewLock(name: string, owner: string, leaseMs: number, now: Date): Promise<boolean>;
  /** Gives the lock up; does nothing when `owner` does not hold it. */
  releaseLock(name: string, owner: string): Promise<void>;
  appendAudit(record: AuditRecord): Promise<void>;
  /** Newest first. */
  listAudit(query?: { since?: Date; job?: string; limit?: number }): Promise<AuditRecord[]>;
}
