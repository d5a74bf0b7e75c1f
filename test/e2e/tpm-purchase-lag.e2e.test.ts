import { afterEach, describe, expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { parseConfig } from "../../lib/config";
import type { FaultRule, RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { MemoryStateStore } from "../../lib/state";
import { apiFor, emulatorWith, T0 } from "../support/emulator";

// T0 is Monday 2026-11-23 10:00 in Shanghai: the window below is on.
const MIN = 60_000;
const config = parseConfig(
  [
    "version: 1",
    "jobs:",
    "  tpm-windows:",
    "    windows:",
    '      - { name: peak, model: ernie-speed-8k, count: 2, schedule: "Mon-Fri 10:00-12:00" }',
  ].join("\n"),
  "test.yml",
);

let emulator: RunningEmulator;
afterEach(async () => {
  await emulator.close();
});

/** Runs tpm-windows at T0 + `offsetMs`, with the emulator's and the run's clocks there. */
function runner() {
  const api = apiFor(emulator, {
    timeoutMs: 500,
    retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5, maxRetryTimeMs: 5000 },
  });
  const store = new MemoryStateStore({ clock: () => emulator.clock.now().getTime() });
  return async (offsetMs: number): Promise<RunReport> => {
    const now = new Date(T0.getTime() + offsetMs);
    emulator.clock.set(now);
    return runHousekeeping({
      config,
      api,
      store,
      job: "tpm-windows",
      dryRun: false,
      now,
      clock: () => now,
      target: emulator.url,
    });
  };
}

const purchasesApplied = () => emulator.state.tpm.length;
const windowDecision = (report: RunReport) =>
  report.jobs[0]!.decisions.find((d) => d.resourceId === "window:peak")!;

describe("a purchase whose answer is lost is bought at most once, even while the listing lags", () => {
  it.each<FaultRule["kind"]>([
    "reset-after-apply",
    "status-after-apply",
    "empty-result-after-apply",
    "hang-after-apply",
  ])("applied, answered with %s, listing 90 s behind: one purchase, adopted once listed", async (kind) => {
    emulator = await emulatorWith({}, { listingLagSeconds: 90 });
    emulator.injectFault({ action: "PurchaseTPMResource", kind, times: 1 });
    const run = runner();

    const first = await run(0);
    expect(windowDecision(first).outcome).toMatchObject({ status: "failed" });
    expect(purchasesApplied()).toBe(1);

    const soon = await run(30_000);
    expect(windowDecision(soon)).toMatchObject({ verdict: "keep", rule: "pending" });

    const listed = await run(2 * MIN);
    expect(windowDecision(listed)).toMatchObject({ verdict: "keep", rule: "adopted" });

    const later = await run(20 * MIN);
    expect(windowDecision(later)).toMatchObject({ verdict: "keep", rule: "bought" });

    expect(purchasesApplied()).toBe(1);
    const sent = emulator.requestLog.filter((e) => e.action === "PurchaseTPMResource");
    expect(sent).toHaveLength(1);
  });

  it("buys again only after the settling time, when the listing still proves the purchase absent", async () => {
    emulator = await emulatorWith({}, { listingLagSeconds: 90 });
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-before", times: 1 });
    const run = runner();

    await run(0);
    expect(purchasesApplied()).toBe(0);
    for (const offset of [MIN, 5 * MIN, 14 * MIN]) {
      const waiting = await run(offset);
      expect(windowDecision(waiting)).toMatchObject({ verdict: "keep", rule: "pending" });
    }
    const settled = await run(16 * MIN);
    expect(windowDecision(settled)).toMatchObject({
      verdict: "act",
      outcome: { status: "done" },
    });
    expect(windowDecision(settled).reason).toContain("still not listed");
    // The new purchase lags too: the next runs must not buy a third time.
    for (const offset of [17 * MIN, 20 * MIN, 40 * MIN]) await run(offset);
    expect(purchasesApplied()).toBe(1);
    expect(
      emulator.requestLog.filter((e) => e.action === "PurchaseTPMResource" && e.status === 200),
    ).toHaveLength(1);
  });

  it("never adopts an instance someone else bought before the attempt", async () => {
    emulator = await emulatorWith(
      {
        tpmResources: [
          { instanceId: "tpm-theirs", model: "ernie-speed-8k", startTime: "-1h", purchaseCount: 2 },
        ],
      },
      { listingLagSeconds: 90 },
    );
    emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-after-apply", times: 1 });
    const run = runner();
    await run(0);
    const listed = await run(2 * MIN);
    expect(windowDecision(listed)).toMatchObject({ rule: "adopted" });
    expect(windowDecision(listed).reason).not.toContain("tpm-theirs");
    // After the window, only our purchase is released; theirs is never touched.
    const after = await run(3 * 60 * MIN);
    const released = after.jobs[0]!.decisions.filter((d) => d.verdict === "act").map((d) => d.resourceId);
    expect(released).not.toContain("tpm-theirs");
    expect(emulator.state.tpm.find((r) => r.instanceId === "tpm-theirs")!.status).toBe("Running");
  });
});
