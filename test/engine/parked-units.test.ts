import { expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { parseConfig } from "../../lib/config";
import { MemoryStateStore } from "../../lib/state";
import { FakeUnitApi } from "../support/fake-api";

it("never releases a unit that scale-services parks at zero, however idle or old", async () => {
  const config = parseConfig(
    [
      "version: 1",
      "guards: { maxFleetFraction: 1 }",
      "jobs:",
      "  release-units: { maxAge: 1d }",
      "  scale-services:",
      '    services: [{ serviceId: svc-1, instanceId: unit-parked, uptime: "Mon-Fri 09:00-18:00" }]',
    ].join("\n"),
    "test.yml",
  );
  const unit = (instanceId: string) => ({
    instanceId,
    region: "bj" as const,
    status: "Running" as const,
    type: "gpu-1",
    totalComputeUnits: 4,
    usedComputeUnits: 0,
    paymentTiming: "Postpaid" as const,
    startTime: "2026-10-01T00:00:00Z",
    creator: "alice",
  });
  const api = new FakeUnitApi([unit("unit-parked"), unit("unit-other")]);
  const report = await runHousekeeping({
    config,
    api: api.asApi(),
    store: new MemoryStateStore(),
    job: "release-units",
    dryRun: false,
    now: new Date("2026-11-23T14:00:00Z"),
    clock: () => new Date("2026-11-23T14:00:00Z"),
    target: "fake",
  });
  expect(api.releases).toEqual(["unit-other"]);
  expect(report.jobs[0]!.decisions.find((d) => d.resourceId === "unit-parked")).toMatchObject({
    verdict: "keep",
    rule: "protected",
    reason: "protected by rule instanceId 'unit-parked' (parked by scale-services)",
  });
});
