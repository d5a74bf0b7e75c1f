import { assertResourceId } from "./resource-id";
import type { StateChange, StateStore } from "./types";

/** What a job remembers of one resource between runs (the default shape of a mark). */
export interface ResourceMark {
  /** The first run that saw it idle; forgotten once it is used. */
  idleSince?: string;
  noticeGivenAt?: string;
  /** When the announced action may happen. */
  noticeDueAt?: string;
  lastSeenAt?: string;
}

/** A snoozed resource: no job touches it until `until`. */
export interface Snooze {
  resourceId: string;
  until: string;
  /** "force-up": keep a scheduled service up until `until` (default: leave the resource alone). */
  kind?: "snooze" | "force-up";
  by?: string;
  reason?: string;
}

/** What a job remembers about its last run, for the listing guards. */
export interface RunMemo {
  lastRunAt: string;
  lastListingCount: number;
}

/** The replica count a scale-down replaced, to restore on scale-up. */
export interface RestoreTarget {
  serviceId: string;
  instanceId: string;
  replicas: number;
  rememberedAt: string;
  /** Compute units one replica freed when it was scaled down, to check a restore fits. */
  computeUnitsPerReplica?: number;
}

const MARKS = (job: string) => `marks:${job}`;
const SNOOZES = "snoozes";
const MEMOS = "run-memos";
const RESTORE = "restore-targets";

/** The typed face of remembered state the jobs use, built only on {@link StateStore}. */
export class JobMemory {
  constructor(readonly store: StateStore) {}

  /** Every remembered mark of a job (idle since, notices), by resource id. */
  async getMarks<T = ResourceMark>(job: string): Promise<Map<string, T>> {
    const entries = await this.store.list<T>(MARKS(job));
    return new Map(entries.map((e) => [e.key, e.value]));
  }

  /**
   * Replaces a job's marks: ids absent from `marks` are forgotten; unchanged ones are not
   * rewritten. One listing and one batch, whatever the number of marks. The forgetting comes
   * first in the batch: should a store keep only part of it, a stale "idle since" (of a unit
   * that was busy in between) is what must not survive, while a lost new mark only makes the
   * next run count idleness afresh — later, never sooner.
   */
  async replaceMarks<T = ResourceMark>(job: string, marks: ReadonlyMap<string, T>): Promise<void> {
    const before = await this.getMarks<T>(job);
    const changes: StateChange[] = [];
    for (const id of before.keys()) {
      if (!marks.has(id)) changes.push({ namespace: MARKS(job), key: id, delete: true });
    }
    for (const [id, mark] of marks) {
      if (JSON.stringify(before.get(id)) !== JSON.stringify(mark))
        changes.push({ namespace: MARKS(job), key: id, value: mark });
    }
    if (changes.length > 0) await this.store.writeBatch(changes);
  }

  /** Snoozes still in force at `now`. */
  async listSnoozes(now: Date): Promise<Snooze[]> {
    const entries = await this.store.list<Snooze>(SNOOZES);
    return entries.map((e) => e.value).filter((s) => Date.parse(s.until) > now.getTime());
  }

  /** Resource id → until, of the snoozes (or force-up overrides) in force at `now`. */
  async untilByResource(now: Date, kind: "snooze" | "force-up" = "snooze"): Promise<Map<string, string>> {
    const entries = (await this.listSnoozes(now)).filter((s) => (s.kind ?? "snooze") === kind);
    return new Map(entries.map((s) => [s.resourceId, s.until]));
  }

  /** Stores a snooze or force-up; an id that is not a resource id (`__proto__`) is refused. */
  async putSnooze(snooze: Snooze): Promise<void> {
    assertResourceId(snooze.resourceId);
    if (Number.isNaN(Date.parse(snooze.until)))
      throw new RangeError(`snooze until '${snooze.until}' is not a time`);
    await this.store.put(SNOOZES, snooze.resourceId, snooze, { expiresAt: new Date(snooze.until) });
  }

  /** Removes a snooze; true when there was one. */
  async deleteSnooze(resourceId: string): Promise<boolean> {
    const had = (await this.store.get<Snooze>(SNOOZES, resourceId)) !== undefined;
    await this.store.delete(SNOOZES, resourceId);
    return had;
  }

  async getRunMemo(job: string): Promise<RunMemo | undefined> {
    return this.store.get<RunMemo>(MEMOS, job);
  }

  async putRunMemo(job: string, memo: RunMemo): Promise<void> {
    await this.store.put(MEMOS, job, memo);
  }

  async getRestoreTargets(job: string): Promise<RestoreTarget[]> {
    return (await this.store.list<RestoreTarget>(`${RESTORE}:${job}`)).map((e) => e.value);
  }

  async putRestoreTarget(job: string, target: RestoreTarget): Promise<void> {
    await this.store.put(`${RESTORE}:${job}`, `${target.serviceId}/${target.instanceId}`, target);
  }

  async deleteRestoreTarget(job: string, serviceId: string, instanceId: string): Promise<void> {
    await this.store.delete(`${RESTORE}:${job}`, `${serviceId}/${instanceId}`);
  }

  /** Stores and forgets many restore targets in one batch (the keys must differ). */
  async changeRestoreTargets(
    job: string,
    put: readonly RestoreTarget[],
    forget: readonly { serviceId: string; instanceId: string }[],
  ): Promise<void> {
    const namespace = `${RESTORE}:${job}`;
    const changes: StateChange[] = [
      ...forget.map((t) => ({ namespace, key: `${t.serviceId}/${t.instanceId}`, delete: true as const })),
      ...put.map((t) => ({ namespace, key: `${t.serviceId}/${t.instanceId}`, value: t })),
    ];
    if (changes.length > 0) await this.store.writeBatch(changes);
  }
}
