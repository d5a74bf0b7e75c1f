import { describe, expect, it } from "vitest";
import { runHousekeeping } from "../../lib/app/housekeeping";
import { parseConfigWithWarnings } from "../../lib/config";
import type { RunReport } from "../../lib/engine/types";
import type { TpmPurchase } from "../../lib/jobs/tpm-windows/plan";
import { QianfanApi } from "../../lib/qianfan";
import { JobMemory, MemoryStateStore } from "../../lib/state";
import { type Answer, clientOver, fail, fakeFetch, ok } from "../support/fake-fetch";

const IN = new Date("2026-11-23T02:30:00Z"); // Mon 10:30 Shanghai: the window is on
const OUT = new Date("2026-11-23T05:00:00Z"); // Mon 13:00: the window is over

const configText = (model: string, guards = "") =>
  [
    "version: 1",
    guards,
    "jobs:",
    "  tpm-windows:",
    "    windows:",
    `      - { name: peak, model: ${model}, count: 2, schedule: "Mon-Fri 10:00-12:00" }`,
  ].join("\n");

const ours = (instanceId: string): TpmPurchase => ({
  instanceId,
  window: "peak",
  model: "ernie-speed-8k",
  count: 2,
  purchasedAt: "2026-11-23T02:00:00Z",
  releaseTime: "2026-11-23T12:00:00+08:00",
});

type RawItem = Record<string, unknown>;

/**
 * A platform that lists `instances` (raw, as the platform would send them; a function gets the
 * request's body, so a look at one instance can differ from the listing) and answers the rest.
 */
function platform(
  instances: RawItem[] | ((body: RawItem) => RawItem[]),
  purchase: () => Answer = () => ok({ instanceId: "x" }),
) {
  const released: string[] = [];
  const fake = fakeFetch((request) => {
    const body = JSON.parse(request.body) as RawItem;
    switch (request.url.searchParams.get("Action")) {
      case "DescribeTPMResource":
        return ok({
          instances: (typeof instances === "function" ? instances(body) : instances).filter(
            (x) => body.instanceId === undefined || x.instanceId === body.instanceId,
          ),
        });
      case "ReleaseTPMResource":
        released.push(String(body.instanceId));
        return ok(true);
      case "PurchaseTPMResource":
        return purchase();
      default:
        return fail(400, "InvalidAction");
    }
  });
  const client = clientOver(fake.fetch, {
    retry: { retries: 0, minDelayMs: 1, maxDelayMs: 1, maxRetryTimeMs: 1000 },
  });
  return { api: new QianfanApi(client, { sleep: async () => {} }), released, fake };
}

async function run(
  text: string,
  api: QianfanApi,
  now: Date,
  remembered: TpmPurchase[] = [],
): Promise<{ report: RunReport; memory: JobMemory }> {
  const { config } = parseConfigWithWarnings(text, "h.yml");
  const store = new MemoryStateStore({ clock: () => now.getTime() });
  const memory = new JobMemory(store);
  await memory.replaceMarks("tpm-windows", new Map(remembered.map((p) => [p.instanceId, p])));
  const report = await runHousekeeping({
    config,
    api,
    store,
    job: "tpm-windows",
    dryRun: false,
    now,
    clock: () => now,
    target: "fake",
  });
  return { report, memory };
}

// Two purchases of ours after the window: one readable (its expiredTime the placeholder "-"), one
// whose item lacks `status`.
const listing = [
  { instanceId: "tpm-ours", paymentTiming: "Postpaid", status: "Running", expiredTime: "-" },
  { instanceId: "tpm-bad", paymentTiming: "Postpaid", startTime: "2026-11-23T02:00:00Z" },
];

describe("tpm-windows reads DescribeTPMResource item by item", () => {
  it("reports an item lacking status by id and field and, by default, changes nothing", async () => {
    const { api, released } = platform(listing);
    const { report } = await run(configText("ernie-speed-8k"), api, OUT, [ours("tpm-ours"), ours("tpm-bad")]);
    const job = report.jobs[0]!;
    expect(job.status).toBe("stopped");
    expect(job.stoppedBy).toMatchObject({ guard: "invalid-listing" });
    expect(job.stoppedBy!.message).toContain("tpm-bad: DescribeTPMResource ernie-speed-8k: status:");
    expect(released).toEqual([]);
  });

  it("with guards.allowInvalidItems, releases the readable one and never the unreadable one, nor forgets it", async () => {
    const { api, released } = platform(listing);
    const { report, memory } = await run(
      configText("ernie-speed-8k", "guards: { allowInvalidItems: true }"),
      api,
      OUT,
      [ours("tpm-ours"), ours("tpm-bad")],
    );
    const job = report.jobs[0]!;
    expect(job.status).toBe("ok");
    expect(job.decisions.map((d) => [d.resourceId, d.verdict, d.rule, d.outcome?.status])).toEqual([
      ["tpm-ours", "act", "window-over", "done"],
      ["tpm-bad", "keep", "unreadable", undefined],
    ]);
    expect(released).toEqual(["tpm-ours"]);
    expect(job.warnings.join("\n")).toContain("tpm-bad: DescribeTPMResource ernie-speed-8k: status:");
    expect([...(await memory.getMarks<TpmPurchase>("tpm-windows")).keys()]).toContain("tpm-bad");
  });

  it("does not release an instance whose item turned unreadable after the plan", async () => {
    // The last look, asked for the one instance, finds a status that is none of the documented three.
    const { api, released } = platform((body) => [
      {
        instanceId: "tpm-ours",
        paymentTiming: "Postpaid",
        status: body.instanceId === undefined ? "Running" : "Expiring",
      },
    ]);
    const { report } = await run(configText("ernie-speed-8k"), api, OUT, [ours("tpm-ours")]);
    expect(report.jobs[0]!.decisions[0]).toMatchObject({
      resourceId: "tpm-ours",
      verdict: "act",
      outcome: { status: "skipped", message: expect.stringContaining("cannot be read") },
    });
    expect(released).toEqual([]);
  });
});

describe("a TPM model the docs no longer list", () => {
  it("loads with a warning naming the file, line and field, still plans, and the platform's answer decides", async () => {
    const text = configText("ernie-3.5-8k");
    expect(parseConfigWithWarnings(text, "h.yml").warnings).toEqual([
      "h.yml:6: jobs.tpm-windows.windows.0.model: 'ernie-3.5-8k' is not among the models the PurchaseTPMResource docs listed on 2025-09-15; kept as written, and the platform's answer decides",
    ]);
    const { api, fake } = platform([], () =>
      fail(400, "InvalidParameter", "model: ernie-3.5-8k is not supported"),
    );
    const { report } = await run(text, api, IN);
    const job = report.jobs[0]!;
    expect(job.warnings).toEqual([
      "window peak (jobs.tpm-windows.windows.0.model): 'ernie-3.5-8k' is not among the models the PurchaseTPMResource docs listed on 2025-09-15; the platform's answer decides",
    ]);
    expect(job.decisions).toEqual([
      expect.objectContaining({
        verdict: "act",
        rule: "window-on",
        action: expect.objectContaining({ type: "PurchaseTPMResource", model: "ernie-3.5-8k" }),
        outcome: expect.objectContaining({ status: "failed", code: "InvalidParameter" }),
      }),
    ]);
    const sent = fake.requests.filter((r) => r.url.searchParams.get("Action") === "PurchaseTPMResource");
    expect(sent.map((r) => JSON.parse(r.body).model)).toEqual(["ernie-3.5-8k"]);
  });
});
