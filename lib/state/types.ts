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

/** One change of a {@link StateStore.writeBatch}: a put (with an optional expiry) or a delete. */
export type StateChange =
  | { namespace: string; key: string; value: unknown; expiresAt?: Date; delete?: false }
  | { namespace: string; key: string; delete: true };

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
  /**
   * Applies many puts and deletes in order, as few writes as the store allows (one file write;
   * DynamoDB BatchWriteItem, 25 items a request). Not atomic in DynamoDB: a failure may leave the
   * first items written, so callers put the changes that must not be lost first.
   */
  writeBatch(changes: readonly StateChange[]): Promise<void>;
  /** Takes the named lock for `leaseMs`; a lease that ran out may be taken over. */
  acquireLock(name: string, owner: string, leaseMs: number, now: Date): Promise<LockResult>;
  /** Extends the lease; false when `owner` no longer holds it. */
  renewLock(name: string, owner: string, leaseMs: number, now: Date): Promise<boolean>;
  /** Gives the lock up; does nothing when `owner` does not hold it. */
  releaseLock(name: string, owner: string): Promise<void>;
  appendAudit(record: AuditRecord): Promise<void>;
  /** Appends many audit records with as few writes as the store allows. */
  appendAuditBatch(records: readonly AuditRecord[]): Promise<void>;
  /** Newest first. */
  listAudit(query?: { since?: Date; job?: string; limit?: number }): Promise<AuditRecord[]>;
}
