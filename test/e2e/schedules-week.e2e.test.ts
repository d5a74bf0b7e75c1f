import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import type { RunningEmulator } from "../../lib/emulator";
import type { RunReport } from "../../lib/engine/types";
import { emulatorWith, postpaidUnit } from "../support/emulator";

const H = 3_600_000;
const MONDAY = Date.parse("2026-11-23T00:00:00+08:00");

let emulator: RunningEmulator;
let dir: string;
let config: string;
const reports: RunReport[] = [];

async function runAt(t: number) {
  emulator.clock.set(new Date(t));
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    ["run", "all", "--apply", "--simulate", "--config", config, "--now", new Date(t).toISOString(), "--json"],
    { stdout: (s) => out.push(s), stderr: (s) => err.push(s) },
    { QIANFAN_CONSOLE_API_BASE_URL: emulator.url },
  );
  const report = JSON.parse(out.join("")) as RunReport;
  reports.push(report);
  return { code, report, err };
}

const replicasOf = (serviceId: string, instanceId: string) =>
  emulator.state.services
    .find((s) => s.serviceId === serviceId)!
    .deployments.find((d) => d.instanceId === instanceId)?.replicas ?? 0;

beforeAll(async () => {
  emulator = await emulatorWith(
    {
      computeUnits: [
        postpaidUnit("unit-a", { totalComputeUnits: 8, usedComputeUnits: 6 }),
        postpaidUnit("unit-b", { totalComputeUnits: 4, usedComputeUnits: 2 }),
      ],
      services: [
        {
          serviceId: "svc-chat",
          name: "chat",
          createTime: "2026-11-01T00:00:00Z",
          deployments: [{ instanceId: "unit-a", replicas: 3, computeUnitsPerReplica: 2 }],
        },
        {
          serviceId: "svc-rag",
          name: "rag-search",
          createTime: "2026-11-01T00:00:00Z",
          deployments: [{ instanceId: "unit-b", replicas: 2, computeUnitsPerReplica: 1 }],
        },
      ],
    },
    { faults: { failRate: 0.03, rateLimit429Rate: 0.03 }, seed: 11, transitionSeconds: 60 },
  );
  dir = await mkdtemp(join(tmpdir(), "qfhk-week-"));
  config = join(dir, "housekeeping.yml");
  await writeFile(
    config,
    [
      "version: 1",
      "timezone: Asia/Shanghai",
      "state: { kind: file, path: state.json }",
      "qianfan: { requestsPerSecond: 500, concurrency: 8, maxRetries: 8 }",
      "jobs:",
      "  scale-services:",
      "    grace: 15m",
      "    services:",
      '      - { serviceId: svc-chat, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00" }',
      '      - { name: "rag-*", instanceId: unit-b, uptime: "Mon-Fri 08:00-20:00" }',
      "  tpm-windows:",
      "    windows:",
      '      - { name: peak, model: ernie-speed-8k, count: 2, schedule: "Mon-Fri 10:00-12:00" }',
    ].join("\n"),
  );
  for (let t = MONDAY; t < MONDAY + 7 * 24 * H; t += H) {
    const day = new Date(t).getUTCDay();
    const hourInShanghai = (new Date(t).getUTCHours() + 8) % 24;
    // Tuesday's purchase loses its answer; on Wednesday the platform fails to release it on time.
    if (day === 2 && hourInShanghai === 10)
      emulator.injectFault({ action: "PurchaseTPMResource", kind: "reset-after-apply", times: 1 });
    const { code } = await runAt(t);
    expect(code).toBe(0);
    if (day === 3 && hourInShanghai === 10) for (const r of emulator.state.tpm) r.releaseTime = undefined;
  }
}, 900_000);

afterAll(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

const applied = (action: string) =>
  emulator.requestLog.filter((e) => e.action === action && e.status === 200);

describe("a simulated week of scale-services and tpm-windows through the CLI", () => {
  it("scales each service down at the end of its uptime and back at its start, every weekday", () => {
    const scales = applied("ScaleService").map((e) => {
      const b = e.body as { serviceId: string; deploymentReplicasCount: number };
      return `${new Date(Date.parse(e.at) + 8 * H).toISOString().slice(5, 13)} ${b.serviceId}=${b.deploymentReplicasCount}`;
    });
    const expected = ["11-23T00 svc-chat=0", "11-23T00 svc-rag=0"];
    for (const d of ["23", "24", "25", "26", "27"]) {
      expected.push(
        `11-${d}T08 svc-rag=2`,
        `11-${d}T09 svc-chat=3`,
        `11-${d}T18 svc-chat=0`,
        `11-${d}T20 svc-rag=0`,
      );
    }
    // Scale-downs at the same edge run concurrently: within an hour, their order is not the point.
    expect([...scales].sort()).toEqual([...expected].sort());
    expect(scales.map((s) => s.slice(0, 8))).toEqual(expected.map((s) => s.slice(0, 8)));
  });

  it("restores the original replica counts on Monday morning", async () => {
    await runAt(MONDAY + 7 * 24 * H + 9 * H);
    expect(replicasOf("svc-chat", "unit-a")).toBe(3);
    expect(replicasOf("svc-rag", "unit-b")).toBe(2);
  });

  it("buys once per weekday window, released at the window's end, never twice despite a lost answer", () => {
    const purchases = applied("PurchaseTPMResource").concat(
      emulator.requestLog.filter(
        (e) => e.action === "PurchaseTPMResource" && e.fault === "reset-after-apply",
      ),
    );
    const byDay = purchases
      .map((e) => (e.body as { billing: { releaseTime: string } }).billing.releaseTime)
      .sort();
    expect(byDay).toEqual([
      "2026-11-23T12:00:00+08:00",
      "2026-11-24T12:00:00+08:00",
      "2026-11-25T12:00:00+08:00",
      "2026-11-26T12:00:00+08:00",
      "2026-11-27T12:00:00+08:00",
    ]);
  });

  it("releases the one purchase the platform failed to release, after its window", () => {
    const releases = applied("ReleaseTPMResource");
    expect(releases).toHaveLength(1);
    expect(new Date(Date.parse(releases[0]!.at) + 8 * H).toISOString().slice(5, 13)).toBe("11-25T12");
  });

  it("never acted without reporting it, and no run failed", () => {
    for (const report of reports) {
      for (const job of report.jobs) {
        expect(job.status).toBe("ok");
        expect(job.totals.failed).toBe(0);
      }
    }
  });
});
