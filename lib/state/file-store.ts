import { randomBytes } from "node:crypto";
import { type FileHandle, mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { emptyStateData, type StateData, stateOps } from "./memory-store";
import type { AuditRecord, StateChange, StateStore } from "./types";

export class StateFileError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "StateFileError";
  override name = "StateFileError";
}

/**
 * proper-lockfile, loaded with the first change: the deployed functions keep state in DynamoDB and
 * are packaged without it (serverless.yml `custom.esbuild.exclude`); local runs have node_modules.
 */
let lockfile: Promise<typeof import("proper-lockfile")> | undefined;

async function loadLockfile(path: string): Promise<typeof import("proper-lockfile")> {
  lockfile ??= import("proper-lockfile").then((module) => module.default ?? module);
  try {
    return await lockfile;
  } catch (error) {
    lockfile = undefined;
    throw new StateFileError(
      `cannot write the state file ${path}: proper-lockfile is not installed (a deployed function keeps its state in the stage's table, QFHK_STATE_TABLE)`,
      { cause: error },
    );
  }
}

/**
 * State in one JSON file. Every change holds an inter-process lock (proper-lockfile, with stale-lock
 * recovery) around read → change → write, and a write goes to a temporary file that is synced and
 * renamed over the old one, so a crash never leaves half a file and two processes never interleave.
 * A batch ({@link FileStateStore.writeBatch}, {@link FileStateStore.appendAuditBatch}) is one such
 * write, all of it or none.
 */
export class FileStateStore implements StateStore {
  readonly path: string;
  readonly #clock: () => number;
  readonly #retention: number;
  #writes = 0;
  /**
   * The data as last read or written, with the id its write left at the head of the file: a read
   * that finds the same id there reuses it instead of parsing the whole file again (every listing
   * of marks, every audit batch read it). Any other process's write leaves another id.
   */
  #cached: { writeId: string; data: StateData } | undefined;

  /** How many times this store has written the file (each change or batch is one write). */
  get fileWrites(): number {
    return this.#writes;
  }

  /** `auditRetention`: how many audit records the file keeps (the newest; default 5000). */
  constructor(path: string, options: { clock?: () => number; auditRetention?: number } = {}) {
    this.path = path;
    this.#clock = options.clock ?? Date.now;
    this.#retention = options.auditRetention ?? 5000;
  }

  async get<T>(namespace: string, key: string) {
    return stateOps.get<T>(await this.#read(), namespace, key, this.#clock());
  }
  async list<T>(namespace: string) {
    return stateOps.list<T>(await this.#read(), namespace, this.#clock());
  }
  async put<T>(namespace: string, key: string, value: T, options: { expiresAt?: Date } = {}) {
    await this.#change((data) => stateOps.put(data, namespace, key, value, options.expiresAt));
  }
  async delete(namespace: string, key: string) {
    await this.#change((data) => stateOps.delete(data, namespace, key));
  }
  async writeBatch(changes: readonly StateChange[]) {
    if (changes.length === 0) return;
    await this.#change((data) => stateOps.writeBatch(data, changes));
  }
  async acquireLock(name: string, owner: string, leaseMs: number, now: Date) {
    return this.#change((data) => stateOps.acquireLock(data, name, owner, leaseMs, now));
  }
  async renewLock(name: string, owner: string, leaseMs: number, now: Date) {
    return this.#change((data) => stateOps.renewLock(data, name, owner, leaseMs, now));
  }
  async releaseLock(name: string, owner: string) {
    await this.#change((data) => stateOps.releaseLock(data, name, owner));
  }
  async appendAudit(record: AuditRecord) {
    await this.#change((data) => stateOps.appendAudit(data, record, this.#retention));
  }
  async appendAuditBatch(records: readonly AuditRecord[]) {
    if (records.length === 0) return;
    await this.#change((data) => stateOps.appendAudits(data, records, this.#retention));
  }
  async listAudit(query?: { since?: Date; job?: string; limit?: number }) {
    return stateOps.listAudit(await this.#read(), query);
  }

  /** Applies `fn` to the file's data under the inter-process lock and writes the result. */
  async #change<R>(fn: (data: StateData) => R): Promise<R> {
    await mkdir(dirname(this.path), { recursive: true });
    let lost: Error | undefined;
    const { lock } = await loadLockfile(this.path);
    const release = await lock(this.path, {
      realpath: false,
      // A lock left by a crashed process is taken over once it has not been refreshed for this long.
      stale: 10_000,
      retries: { retries: 200, minTimeout: 2, maxTimeout: 50, randomize: true },
      // proper-lockfile's default throws from a timer and kills the process; refuse the write instead.
      onCompromised: (error) => {
        lost = error;
      },
    });
    try {
      const data = await this.#read();
      // Changed in place: until it is written, it is not what the file holds.
      this.#cached = undefined;
      const result = fn(data);
      if (lost) throw new StateFileError(`lost the lock on ${this.path}; nothing written`, { cause: lost });
      const writeId = await this.#write(data);
      this.#cached = { writeId, data };
      this.#writes += 1;
      return result;
    } finally {
      if (!lost) await release();
    }
  }

  async #read(): Promise<StateData> {
    let handle: FileHandle;
    try {
      handle = await open(this.path, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        this.#cached = undefined;
        return emptyStateData();
      }
      throw error;
    }
    let text: string;
    try {
      const cached = this.#cached;
      if (cached) {
        const head = Buffer.alloc(HEAD_BYTES);
        const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
        if (writeIdOf(head.toString("utf8", 0, bytesRead)) === cached.writeId) return cached.data;
      }
      text = await handle.readFile("utf8");
    } finally {
      await handle.close();
    }
    let parsed: Partial<StateData> & { writeId?: unknown };
    try {
      parsed = JSON.parse(text) as Partial<StateData>;
    } catch {
      throw new StateFileError(`state file ${this.path} is not valid JSON; move it aside to start afresh`);
    }
    const data = { items: parsed.items ?? {}, locks: parsed.locks ?? {}, audit: parsed.audit ?? [] };
    const writeId = writeIdOf(text.slice(0, HEAD_BYTES));
    this.#cached = writeId ? { writeId, data } : undefined;
    return data;
  }

  /** Writes `data` whole under a fresh write id, which it returns. */
  async #write(data: StateData): Promise<string> {
    const temp = `${this.path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    const writeId = randomBytes(8).toString("hex");
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(JSON.stringify({ writeId, ...data }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return writeId;
  }
}

/** The head of a state file read to tell whether it is the one last read or written. */
const HEAD_BYTES = 64;

/** The write id at the head of a state file (`{"writeId":"…",`), or undefined. */
function writeIdOf(head: string): string | undefined {
  return /^\{"writeId":"([0-9a-f]{16})"/.exec(head)?.[1];
}
