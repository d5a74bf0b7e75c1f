import { afterEach, expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { parseConfig } from "../../lib/config";
import type { Fleet, RunningEmulator } from "../../lib/emulator";
import { SERVICE_UNITS_ACTION } from "../../lib/qianfan";
import { MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit } from "../support/emulator";

let emulator: RunningEmulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** An emulator with `fleet` and a scale-services runner for `binding`, sharing one store. */
async function scaling(fleet: Fleet, binding: string) {
  emulator = await emulatorWith(fleet);
  const running = emulator;
  const config = parseConfig(
    `version: 1\njobs:\n  scale-services:\n    services: [${binding}]\n`,
    "test.yml",
  );
  const api = apiFor(running);
  const store = new MemoryStateStore();
  const run = (iso: string) => {
    running.clock.set(new Date(iso));
    return runHousekeeping({
      config,
      api,
      store,
      job: "scale-services",
      dryRun: false,
      now: new Date(iso),
      clock: () => new Date(iso),
      target: running.url,
    });
  };
  return { emulator: running, api, run };
}

const CHAT = '{ serviceId: svc-chat, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00" }';
const chatOnUnitA = (replicas: number) => ({
  serviceId: "svc-chat",
  name: "chat",
  createTime: "2026-11-01T00:00:00Z",
  deployments: replicas > 0 ? [{ instanceId: "unit-a", replicas, computeUnitsPerReplica: 2 }] : [],
});
const MONDAY_NIGHT = "2026-11-23T12:00:00Z"; // Mon 20:00 Shanghai: downtime
const TUESDAY_MORNING = "2026-11-24T01:00:00Z"; // Tue 09:00 Shanghai: uptime

it("reports a restore that does not fit on the unit, sends nothing, and keeps the remembered size", async () => {
  const { emulator, api, run } = await scaling(
    {
      computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 4, usedComputeUnits: 4 })],
      services: [
        chatOnUnitA(2),
        { serviceId: "svc-batch", name: "batch", createTime: "2026-11-01T00:00:00Z", deployments: [] },
      ],
    },
    CHAT,
  );
  const night = await run(MONDAY_NIGHT);
  expect(night.jobs[0]!.decisions[0]).toMatchObject({
    verdict: "act",
    outcome: { status: "done", observed: "0 replicas on unit-a" },
  });
  // Overnight someone else takes the unit's free compute units.
  await api.scaleService("svc-batch", "unit-a", 3);
  emulator.resetLog();
  const morning = await run(TUESDAY_MORNING);
  const restore = morning.jobs[0]!.decisions[0]!;
  expect(restore).toMatchObject({
    verdict: "act",
    rule: "scale-up",
    outcome: { status: "failed", code: "NotEnoughFreeComputeUnits" },
  });
  // The size per replica was measured when the service was scaled down (4 units freed by 2 replicas).
  expect(restore.outcome!.message).toBe(
    "not enough free compute units on unit-a to restore svc-chat to 2 replicas: 1 of 4 free, and 2 more replicas need 2 compute units each, 4 in all",
  );
  // The check is made before the request: nothing was sent that the platform would refuse.
  expect(emulator.requestLog.filter((e) => e.action === "ScaleService")).toEqual([]);
  // The size is still remembered: once the unit has room, the next run restores it.
  await api.scaleService("svc-batch", "unit-a", 0);
  const later = await run("2026-11-24T01:15:00Z");
  expect(later.jobs[0]!.decisions[0]).toMatchObject({
    outcome: { status: "done", observed: "2 replicas on unit-a" },
  });
});

it("checks a restore against the unit's free compute units even when the size per replica is unknown", async () => {
  const { run } = await scaling(
    {
      computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 4, usedComputeUnits: 4 })],
      services: [chatOnUnitA(0)],
    },
    '{ serviceId: svc-chat, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00", upReplicas: 1 }',
  );
  const report = await run(TUESDAY_MORNING);
  expect(report.jobs[0]!.decisions[0]!.outcome).toMatchObject({
    status: "failed",
    code: "NotEnoughFreeComputeUnits",
    message:
      "not enough free compute units on unit-a to restore svc-chat to 1 replica: 0 of 4 free, and 1 more replica needs at least 1 compute unit each (the size per replica is not known), 1 in all",
  });
});

it("uses the binding's computeUnitsPerReplica when no size was measured", async () => {
  const { run } = await scaling(
    {
      computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 4, usedComputeUnits: 2 })],
      services: [chatOnUnitA(0)],
    },
    '{ serviceId: svc-chat, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00", upReplicas: 1, computeUnitsPerReplica: 3 }',
  );
  const report = await run(TUESDAY_MORNING);
  expect(report.jobs[0]!.decisions[0]!.outcome!.message).toContain(
    "2 of 4 free, and 1 more replica needs 3 compute units each, 3 in all",
  );
});

it("leaves a service alone, and says why, when its units' answer lacks replicasCount", async () => {
  const { emulator, run } = await scaling(
    {
      computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 4, usedComputeUnits: 4 })],
      services: [chatOnUnitA(2)],
    },
    CHAT,
  );
  emulator.setDroppedFields([{ action: SERVICE_UNITS_ACTION, field: "replicasCount" }]);
  const report = await run(MONDAY_NIGHT);
  expect(report.jobs[0]!.stoppedBy?.message).toMatch(/svc-chat\/unit-a: .*replicasCount/);
  expect(emulator.requestLog.filter((e) => e.action === "ScaleService")).toEqual([]);
  expect(emulator.state.services[0]!.deployments[0]!.replicas).toBe(2);
});
