import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileStateStore, JobMemory, MemoryStateStore } from "../../lib/state";
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

describe("FileStateStore", () => {
  it("keeps state across instances (another process reading the same file)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qfhk-state-"));
    try {
      const path = join(dir, "nested", "state.json");
      await new FileStateStore(path).put("ns", "k", { v: 1 });
      expect(await new FileStateStore(path).get("ns", "k")).toEqual({ v: 1 });
      expect(JSON.parse(await readFile(path, "utf8")).items.ns.k.value).toEqual({ v: 1 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses a corrupt file with a message naming it, and changes nothing", async () => {
    const dir = await mkdtemp(join(tmpdir(), "qfhk-state-"));
    try {
      const path = join(dir, "state.json");
      await writeFile(path, "{not json");
      await expect(new FileStateStore(path).put("ns", "k", 1)).rejects.toThrow(
        `state file ${path} is not valid JSON`,
      );
      expect(await readFile(path, "utf8")).toBe("{not json");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps only the newest audit records past the retention", async () => {
    const store = new MemoryStateStore({ auditRetention: 2 });
    for (const id of ["a", "b", "c"]) {
      await store.appendAudit({
        at: new Date().toISOString(),
        runId: "r",
        job: "j",
        action: "x",
        resourceId: id,
        reason: "",
        outcome: "done",
        dryRun: false,
      });
    }
    expect((await store.listAudit()).map((r) => r.resourceId)).toEqual(["c", "b"]);
  });
});

describe("JobMemory", () => {
  it("replaces a job's marks, forgetting the ones no longer given", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    await memory.replaceMarks(
      "release-units",
      new Map([
        ["u1", { idleSince: "a" }],
        ["u2", { idleSince: "b" }],
      ]),
    );
    await memory.replaceMarks("release-units", new Map([["u2", { idleSince: "b" }]]));
    expect([...(await memory.getMarks("release-units")).entries()]).toEqual([["u2", { idleSince: "b" }]]);
    expect((await memory.getMarks("other")).size).toBe(0);
  });

  it("lists only snoozes still in force", async () => {
    const memory = new JobMemory(new MemoryStateStore());
    const now = new Date();
    await memory.putSnooze({ resourceId: "u1", until: new Date(now.getTime() + 3_600_000).toISOString() });
    await memory.putSnooze({ resourceId: "u2", until: new Date(now.getTime() + 60_000).toISOString() });
    expect((await memory.listSnoozes(now)).map((s) => s.resourceId)).toEqual(["u1", "u2"]);
    expect((await memory.listSnoozes(new Date(now.getTime() + 120_000))).map((s) => s.resourceId)).toEqual([
      "u1",
    ]);
    expect(await memory.deleteSnooze("u1")).toBe(true);
    expect(await memory.deleteSnooze("u1")).toBe(false);
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
});
