import { expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { parseConfig } from "../../lib/config";
import { MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, postpaidUnit } from "../support/emulator";

it("reports a restore that fails because the unit lacks free compute units, and keeps the remembered size", async () => {
  const emulator = await emulatorWith({
    computeUnits: [postpaidUnit("unit-a", { totalComputeUnits: 4, usedComputeUnits: 4 })],
    services: [
      {
        serviceId: "svc-chat",
        name: "chat",
        createTime: "2026-11-01T00:00:00Z",
        deployments: [{ instanceId: "unit-a", replicas: 2, computeUnitsPerReplica: 2 }],
      },
      { serviceId: "svc-batch", name: "batch", createTime: "2026-11-01T00:00:00Z", deployments: [] },
    ],
  });
  try {
    const config = parseConfig(
      'version: 1\njobs:\n  scale-services:\n    services: [{ serviceId: svc-chat, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00" }]\n',
      "test.yml",
    );
    const api = apiFor(emulator);
    const store = new MemoryStateStore();
    const run = (iso: string) =>
      runHousekeeping({
        config,
        api,
        store,
        job: "scale-services",
        dryRun: false,
        now: new Date(iso),
        clock: () => new Date(iso),
        target: emulator.url,
      });
    emulator.clock.set(new Date("2026-11-23T12:00:00Z")); // Mon 20:00 Shanghai
    const night = await run("2026-11-23T12:00:00Z");
    expect(night.jobs[0]!.decisions[0]).toMatchObject({
      verdict: "act",
      outcome: { status: "done", observed: "0 replicas on unit-a" },
    });
    // Overnight someone else takes the unit's free compute units.
    await api.scaleService("svc-batch", "unit-a", 3);
    emulator.clock.set(new Date("2026-11-24T01:00:00Z")); // Tue 09:00
    const morning = await run("2026-11-24T01:00:00Z");
    const restore = morning.jobs[0]!.decisions[0]!;
    expect(restore).toMatchObject({
      verdict: "act",
      rule: "scale-up",
      outcome: { status: "failed", code: "InsufficientComputeUnits" },
    });
    expect(restore.outcome!.message).toBe(
      "not enough free compute units on unit-a to restore 2 replicas: compute unit unit-a has 1 free compute units; 2 replicas of svc-chat need 4 more",
    );
    expect(restore.outcome!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The size is still remembered: once the unit has room, the next run restores it.
    await api.scaleService("svc-batch", "unit-a", 0);
    const later = await run("2026-11-24T01:15:00Z");
    expect(later.jobs[0]!.decisions[0]).toMatchObject({
      outcome: { status: "done", observed: "2 replicas on unit-a" },
    });
  } finally {
    await emulator.close();
  }
});
