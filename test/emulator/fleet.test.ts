import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FleetError, loadFleetFile, parseFleet, type RunningEmulator } from "../../lib/emulator";
import {
  DescribeBatchTasksResult,
  DescribeComputeUnitResult,
  DescribeComputeUnitsResult,
  DescribeServicesResult,
  DescribeTpmResourceResult,
} from "../../lib/qianfan/schemas";
import { ok, service, startAt, T0, task, unit } from "./helpers";

const DEMO_FLEET = fileURLToPath(new URL("../../fleets/demo-fleet.json", import.meta.url));

let emulator: RunningEmulator;
afterEach(() => emulator?.close());

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "qfhk-fleet-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("the demo fleet", () => {
  it("loads, and every listing of it parses with the client's schemas", async () => {
    emulator = await startAt(await loadFleetFile(DEMO_FLEET));
    const { computeUnitInstanceList: units } = await ok(
      emulator,
      "DescribeComputeUnits",
      {},
      DescribeComputeUnitsResult,
    );
    for (const u of units)
      await ok(emulator, "DescribeComputeUnit", { instanceId: u.instanceId }, DescribeComputeUnitResult);
    const services = await ok(emulator, "DescribeServices", { maxKeys: 100 }, DescribeServicesResult);
    const tasks = await ok(
      emulator,
      "DescribeBatchInferenceTasks",
      { maxKeys: 100 },
      DescribeBatchTasksResult,
    );
    const tpm = await ok(
      emulator,
      "DescribeTPMResource",
      { model: "ernie-speed-8k" },
      DescribeTpmResourceResult,
    );

    expect(units.length).toBeGreaterThanOrEqual(12);
    expect(new Set(units.map((u) => u.paymentTiming))).toEqual(new Set(["Prepaid", "Postpaid"]));
    expect(new Set(units.map((u) => u.region))).toEqual(new Set(["bj", "bd", "sz"]));
    expect(new Set(units.map((u) => u.status))).toEqual(new Set(["Running", "Creating", "Released"]));
    expect(units.some((u) => u.usedComputeUnits > 0) && units.some((u) => u.usedComputeUnits === 0)).toBe(
      true,
    );
    expect(new Set(services.serviceList.map((s) => s.runStatus))).toContain("Stopped");
    expect(services.serviceList.filter((s) => s.runStatus === "Serving").length).toBeGreaterThanOrEqual(3);
    expect(new Set(tasks.taskList.map((t) => t.runStatus))).toEqual(
      new Set(["Queuing", "Running", "Done", "Stopping", "Stopped", "Failed", "Expired"]),
    );
    expect(tpm.instances.length).toBeGreaterThan(0);
  });

  it("has a postpaid unit whose release time passed but which still runs, and tasks running for many hours", async () => {
    emulator = await startAt(await loadFleetFile(DEMO_FLEET));
    const { computeUnitInstanceList: units } = await ok(
      emulator,
      "DescribeComputeUnits",
      {},
      DescribeComputeUnitsResult,
    );
    const overdue = units.filter(
      (u) =>
        u.status === "Running" && u.releaseTime !== undefined && Date.parse(u.releaseTime) < T0.getTime(),
    );
    expect(overdue).toHaveLength(1);
    const { taskList } = await ok(
      emulator,
      "DescribeBatchInferenceTasks",
      { runStatus: ["Running"], maxKeys: 100 },
      DescribeBatchTasksResult,
    );
    const hours = (t: { startTime?: string }) => (T0.getTime() - Date.parse(t.startTime!)) / 3_600_000;
    expect(taskList.filter((t) => hours(t) > 12).length).toBeGreaterThanOrEqual(2);
  });
});

describe("fleet times", () => {
  it("resolves relative times against the emulator clock at load", async () => {
    emulator = await startAt({
      computeUnits: [unit("unit-1", { startTime: "-1d2h", releaseTime: "+30m" })],
      batchTasks: [task("t-1", { createTime: "now" })],
    });
    const [u] = (await ok(emulator, "DescribeComputeUnits", {}, DescribeComputeUnitsResult))
      .computeUnitInstanceList;
    expect(u).toMatchObject({ startTime: "2026-11-22T00:00:00Z", releaseTime: "2026-11-23T02:30:00Z" });
    expect(emulator.state.tasks[0]!.createTime).toEqual(T0);
  });

  it("reads Beijing-time strings as UTC+8", async () => {
    emulator = await startAt({ computeUnits: [unit("unit-1", { startTime: "2026-11-23 08:00:00" })] });
    expect(emulator.state.units[0]!.startTime.toISOString()).toBe("2026-11-23T00:00:00.000Z");
  });
});

describe("fleet errors", () => {
  const problem = (fleet: unknown) => {
    try {
      parseFleet(fleet, "f.json");
    } catch (error) {
      expect(error).toBeInstanceOf(FleetError);
      return (error as Error).message;
    }
    throw new Error("the fleet was accepted");
  };

  it.each([
    [{ computeUnits: [unit("u", { paymentTiming: "Monthly" })] }, "f.json: computeUnits.0.paymentTiming: "],
    [{ computeUnits: [unit("u", { type: "gpu-9" })] }, "f.json: computeUnits.0.type: expected one of CPU"],
    [{ computeUnits: [unit("u", { startTime: "yesterday" })] }, "f.json: computeUnits.0.startTime: "],
    [{ computeUnits: [unit("u"), unit("u")] }, "f.json: computeUnits.1.instanceId: duplicate id u"],
    [
      { computeUnits: [unit("u")], services: [service("s", [{ instanceId: "nope", replicas: 1 }])] },
      "f.json: services.0.deployments.0.instanceId: no compute unit nope",
    ],
    [
      {
        computeUnits: [unit("u", { usedComputeUnits: 1 })],
        services: [service("s", [{ instanceId: "u", replicas: 2 }])],
      },
      "f.json: computeUnits.0.usedComputeUnits: 1 is less than the 2 its services' deployments use",
    ],
    [
      { computeUnits: [unit("u", { usedComputeUnits: 5 })] },
      "f.json: computeUnits.0.usedComputeUnits: 5 is more than",
    ],
    [
      { services: [service("s", [], { runStatus: "Serving" })] },
      "f.json: services.0.runStatus: Serving needs",
    ],
    [{ batchTasks: [task("t", { runStatus: "Paused" })] }, "f.json: batchTasks.0.runStatus: "],
    [{ computeUnits: [unit("u", { colour: "red" })] }, "f.json: computeUnits.0: "],
  ])("names the file and the JSON path: %j", (fleet, message) => {
    expect(problem(fleet)).toContain(message);
  });

  it("names the file when it cannot be read or is not JSON, and the path when it does not validate", async () => {
    const broken = join(dir, "broken.json");
    const invalid = join(dir, "invalid.json");
    await writeFile(broken, "{ computeUnits: ");
    await writeFile(invalid, JSON.stringify({ batchTasks: [{ taskId: "t" }] }));
    await expect(loadFleetFile(join(dir, "missing.json"))).rejects.toThrow(
      /missing\.json: cannot read the fleet file \(ENOENT\)/,
    );
    await expect(loadFleetFile(broken)).rejects.toThrow(/broken\.json: not valid JSON/);
    await expect(loadFleetFile(invalid)).rejects.toThrow(`${invalid}: batchTasks.0.name: `);
  });
});
