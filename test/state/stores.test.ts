import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AuditRecord,
  FileStateStore,
  JobMemory,
  MemoryStateStore,
  type ResourceMark,
  type StateStore,
} from "../../lib/state";
import { describeStateStoreContract } from "./contract";

describeStateStoreContract("memory", async () => ({
  store: new MemoryStateStore(),
  cleanup: async () => {},
}));

describeStateStoreContract("file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "qfhk-state-"));
  return {
    store: new FileStateStore(join(dir, "state.json")),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

const audit = (resourceId: string, at = new Date().toISOString()): AuditRecord => ({
  at,
  runId: "r",
  job: "j",
  action: "x",
  resourceId,
  reason: "",
  outcome: "done",
  dryRun: false,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "qfhk-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.each([
  ["MemoryStateStore", (clock: () => number) => new MemoryStateStore({ clock })],
  ["FileStateStore", (clock: () => number) => new FileStateStore(join(dir, "state.json"), { clock })],
])("%s with an injected clock", (_name, make: (clock: () => number) => StateStore) => {
  it("hides a value once the injected clock reaches its expiry", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const store = make(() => now);
    await store.put("ns", "k", "v", { expiresAt: new Date(now + 60_000) });

    now += 59_999;
    const before = await store.get("ns", "k");
    now += 1;
    const at = await store.get("ns", "k");

    expect(before).toBe("v");
    expect(at).toBeUndefined();
    expect(await store.list("ns")).toEqual([]);
  });
});

describe.each([
  ["MemoryStateStore", (retention: number) => new MemoryStateStore({ auditRetention: retention })],
  [
    "FileStateStore",
    (retention: number) => new FileStateStore(join(dir, "state.json"), { auditRetention: retention }),
  ],
])("%s audit retention", (_name, make: (retention: number) => StateStore) => {
  it("keeps only the newest records past the retention", async () => {
    const store = make(2);
    for (const [i, id] of ["a", "b", "c"].entries()) {
      await store.appendAudit(audit(id, new Date(Date.UTC(2030, 0, 1, i)).toISOString()));
    }
    expect((await store.listAudit()).map((r) => r.resourceId)).toEqual(["c", "b"]);
  });
});

describe("FileStateStore", () => {
  it("keeps state across instances (another process reading the same file)", async () => {
    const path = join(dir, "nested", "state.json");
    await new FileStateStore(path).put("ns", "k", { v: 1 });
    expect(await new FileStateStore(path).get("ns", "k")).toEqual({ v: 1 });
    expect(JSON.parse(await readFile(path, "utf8")).items.ns.k.value).toEqual({ v: 1 });
  });

  it("reads what another process wrote since, never what it read or wrote before", async () => {
    const path = join(dir, "state.json");
    const mine = new FileStateStore(path);
    const other = new FileStateStore(path);
    await mine.put("ns", "k", { v: 1 });
    expect(await mine.get("ns", "k")).toEqual({ v: 1 });
    await other.put("ns", "k", { v: 2 });
    expect(await mine.get("ns", "k")).toEqual({ v: 2 });
    // A file written by hand (or by an older version), same size as before and without a write id.
    const text = (await readFile(path, "utf8")).replace(/^\{"writeId":"[0-9a-f]{16}",/, "{");
    await writeFile(path, text.replace('"v":2', '"v":3'));
    expect(await mine.get("ns", "k")).toEqual({ v: 3 });
    await mine.put("ns", "j", 1);
    expect(await other.list("ns")).toEqual([
      { key: "j", value: 1 },
      { key: "k", value: { v: 3 } },
    ]);
  });

  it("reads nothing of a change that failed half-way, and wrote nothing", async () => {
    const path = join(dir, "state.json");
    const store = new FileStateStore(path);
    await store.put("ns", "k", 1);
    const before = await readFile(path, "utf8");
    // The first change applies, the second cannot be stored (a function): the batch is refused whole.
    const batch = [
      { namespace: "ns", key: "a", value: 2 },
      { namespace: "ns", key: "b", value: () => 3 },
    ];
    await expect(store.writeBatch(batch)).rejects.toThrow();
    expect(await store.get("ns", "a")).toBeUndefined();
    expect(await readFile(path, "utf8")).toBe(before);
  });

  it("refuses a corrupt file with a message naming it, and changes nothing", async () => {
    const path = join(dir, "state.json");
    await writeFile(path, "{not json");
    await expect(new FileStateStore(path).put("ns", "k", 1)).rejects.toThrow(
      `state file ${path} is not valid JSON`,
    );
    expect(await readFile(path, "utf8")).toBe("{not json");
  });

  it("leaves no temporary or lock files behind after writing", async () => {
    const store = new FileStateStore(join(dir, "state.json"));
    await Promise.all([store.put("ns", "a", 1), store.put("ns", "b", 2), store.appendAudit(audit("u"))]);
    expect(await readdir(dir)).toEqual(["state.json"]);
    expect((await store.list("ns")).map((e) => e.key)).toEqual(["a", "b"]);
  });

  it("serialises concurrent changes in one process, losing none", async () => {
    const store = new FileStateStore(join(dir, "state.json"));
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.put("ns", `k${i}`, i)));
    expect(await store.list("ns")).toHaveLength(20);
  });

  it("takes over an inter-process lock left behind by a crashed process", async () => {
    const path = join(dir, "state.json");
    await mkdir(`${path}.lock`);
    const longAgo = new Date(Date.now() - 60_000);
    await utimes(`${path}.lock`, longAgo, longAgo);

    await new FileStateStore(path).put("ns", "k", 1);

    expect(await new FileStateStore(path).get("ns", "k")).toBe(1);
  });
});

describe("JobMemory", () => {
  it("replaces a job's marks, forgetting the ones no longer given", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    await memory.replaceMarks(
      "release-units",
      new Map<string, ResourceMark>([
        ["u1", { idleSince: "2030-01-01T00:00:00.000Z" }],
        ["u2", { idleSince: "2030-01-01T01:00:00.000Z", lastSeenAt: "2030-01-01T02:00:00.000Z" }],
      ]),
    );
    await memory.replaceMarks(
      "release-units",
      new Map([
        ["u2", { noticeGivenAt: "2030-01-01T02:00:00.000Z", noticeDueAt: "2030-01-01T03:00:00.000Z" }],
      ]),
    );
    expect([...(await memory.getMarks("release-units")).entries()]).toEqual([
      ["u2", { noticeGivenAt: "2030-01-01T02:00:00.000Z", noticeDueAt: "2030-01-01T03:00:00.000Z" }],
    ]);
    expect((await memory.getMarks("other")).size).toBe(0);
  });

  it("lists only snoozes still in force", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    const now = new Date();
    await memory.putSnooze({
      resourceId: "u1",
      until: new Date(now.getTime() + 3_600_000).toISOString(),
      by: "alice",
      reason: "demo",
    });
    await memory.putSnooze({ resourceId: "u2", until: new Date(now.getTime() + 60_000).toISOString() });
    expect((await memory.listSnoozes(now)).map((s) => s.resourceId)).toEqual(["u1", "u2"]);
    expect(await memory.listSnoozes(new Date(now.getTime() + 120_000))).toMatchObject([
      { resourceId: "u1", by: "alice", reason: "demo" },
    ]);
    expect(await memory.deleteSnooze("u1")).toBe(true);
    expect(await memory.deleteSnooze("u1")).toBe(false);
  });

  it("lets the store forget a snooze once it has run out", async () => {
    let now = Date.parse("2030-01-01T00:00:00Z");
    const store = new MemoryStateStore({ clock: () => now });
    await new JobMemory(store).putSnooze({ resourceId: "u1", until: "2030-01-01T01:00:00Z" });
    now = Date.parse("2030-01-01T01:00:00Z");
    expect(await store.list("snoozes")).toEqual([]);
  });

  it("tells snoozes from force-up overrides by resource", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    const now = new Date();
    const later = new Date(now.getTime() + 3_600_000).toISOString();
    await memory.putSnooze({ resourceId: "unit-1", until: later });
    await memory.putSnooze({ resourceId: "svc-1", until: later, kind: "force-up" });
    expect([...(await memory.untilByResource(now)).entries()]).toEqual([["unit-1", later]]);
    expect([...(await memory.untilByResource(now, "force-up")).entries()]).toEqual([["svc-1", later]]);
  });

  it("remembers each job's last run, to tell an empty listing from a fleet that was full", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    expect(await memory.getRunMemo("release-units")).toBeUndefined();
    await memory.putRunMemo("release-units", { lastRunAt: "2030-01-01T00:00:00.000Z", lastListingCount: 7 });
    await memory.putRunMemo("release-units", { lastRunAt: "2030-01-01T00:10:00.000Z", lastListingCount: 6 });
    expect(await memory.getRunMemo("release-units")).toEqual({
      lastRunAt: "2030-01-01T00:10:00.000Z",
      lastListingCount: 6,
    });
    expect(await memory.getRunMemo("stop-batch-tasks")).toBeUndefined();
  });

  it("keeps one restore target per service and unit, per job, until it is deleted", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    const target = (serviceId: string, instanceId: string, replicas: number) => ({
      serviceId,
      instanceId,
      replicas,
      rememberedAt: "2030-01-01T00:00:00.000Z",
    });
    await memory.putRestoreTarget("scale-services", target("svc-1", "unit-1", 3));
    await memory.putRestoreTarget("scale-services", target("svc-1", "unit-2", 2));
    await memory.putRestoreTarget("scale-services", target("svc-1", "unit-1", 4));

    expect(await memory.getRestoreTargets("scale-services")).toEqual([
      target("svc-1", "unit-1", 4),
      target("svc-1", "unit-2", 2),
    ]);
    expect(await memory.getRestoreTargets("other-job")).toEqual([]);

    await memory.deleteRestoreTarget("scale-services", "svc-1", "unit-1");
    expect(await memory.getRestoreTargets("scale-services")).toEqual([target("svc-1", "unit-2", 2)]);
  });

  it("stores and forgets many restore targets in one write", async () => {
    const store = new MemoryStateStore();
    const memory = new JobMemory(store);
    const target = (serviceId: string, replicas: number) => ({
      serviceId,
      instanceId: "unit-1",
      replicas,
      rememberedAt: "2030-01-01T00:00:00.000Z",
    });
    await memory.putRestoreTarget("scale-services", target("svc-1", 3));
    const batches: number[] = [];
    const writeBatch = store.writeBatch.bind(store);
    store.writeBatch = async (changes) => {
      batches.push(changes.length);
      await writeBatch(changes);
    };

    await memory.changeRestoreTargets(
      "scale-services",
      [target("svc-2", 2), target("svc-3", 1)],
      [{ serviceId: "svc-1", instanceId: "unit-1" }],
    );
    await memory.changeRestoreTargets("scale-services", [], []);

    expect(batches).toEqual([3]);
    expect(await memory.getRestoreTargets("scale-services")).toEqual([
      target("svc-2", 2),
      target("svc-3", 1),
    ]);
  });
});
