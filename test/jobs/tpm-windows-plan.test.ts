import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InvalidItem } from "../../lib/engine/job";
import { formatReleaseTime, planTpmWindows } from "../../lib/jobs";
import type {
  PendingPurchase,
  TpmPurchase,
  TpmWindowItem,
  TpmWindowsContext,
} from "../../lib/jobs/tpm-windows/plan";
import type { TpmInstance } from "../../lib/qianfan";
import { EMPTY_CALENDAR, parseSchedule } from "../../lib/schedule";
import { PLACEHOLDER_TIMES } from "./placeholder-times";

const PEAK = parseSchedule("Mon-Fri 10:00-12:00");
const IN = new Date("2026-11-23T02:30:00Z"); // Mon 10:30 Shanghai
const OUT = new Date("2026-11-23T05:00:00Z"); // Mon 13:00

const window = { name: "peak", model: "ernie-speed-8k", count: 2, schedule: PEAK };
const instance = (
  instanceId: string,
  status: TpmInstance["status"] = "Running",
  startTime = "2026-11-23T02:00:00Z",
): TpmInstance => ({
  instanceId,
  paymentTiming: "Postpaid",
  status,
  startTime,
});
const purchase = (instanceId: string, count = 2): TpmPurchase => ({
  instanceId,
  window: "peak",
  model: "ernie-speed-8k",
  count,
  purchasedAt: "2026-11-23T02:00:00Z",
  releaseTime: "2026-11-23T12:00:00+08:00",
});

function plan(
  instances: TpmInstance[],
  opts: {
    purchases?: TpmPurchase[];
    pending?: PendingPurchase;
    budget?: number;
    now?: Date;
    items?: TpmWindowItem[];
    invalid?: InvalidItem[];
  } = {},
) {
  const ctx: TpmWindowsContext = {
    timeZone: "Asia/Shanghai",
    calendar: EMPTY_CALENDAR,
    maxLivePurchaseCount: opts.budget ?? 10,
    purchaseSettleMs: 15 * 60_000,
    purchases: new Map((opts.purchases ?? []).map((p) => [p.instanceId, p])),
    pending: new Map(opts.pending ? [["peak", opts.pending]] : []),
  };
  return planTpmWindows(opts.items ?? [{ window, instances, invalid: opts.invalid }], ctx, opts.now ?? IN);
}

describe("planTpmWindows", () => {
  it("buys inside the window, with the platform releasing it at the window's end", () => {
    const { decisions } = plan([]);
    expect(decisions).toEqual([
      expect.objectContaining({
        verdict: "act",
        rule: "window-on",
        action: {
          type: "PurchaseTPMResource",
          window: "peak",
          model: "ernie-speed-8k",
          count: 2,
          releaseTime: "2026-11-23T12:00:00+08:00",
        },
      }),
    ]);
  });

  it("does not buy again while one of ours is live", () => {
    expect(
      plan([instance("tpm-1", "Creating")], { purchases: [purchase("tpm-1")] }).decisions[0],
    ).toMatchObject({ verdict: "keep", rule: "bought" });
  });

  it("ignores quota it did not buy when deciding", () => {
    expect(plan([instance("tpm-someone-elses")]).decisions[0]).toMatchObject({ verdict: "act" });
  });

  it("releases ours still Running after the window", () => {
    const { decisions } = plan([instance("tpm-1")], { purchases: [purchase("tpm-1")], now: OUT });
    expect(decisions[0]).toMatchObject({
      verdict: "act",
      rule: "window-over",
      action: { type: "ReleaseTPMResource", instanceId: "tpm-1" },
    });
  });

  it("never releases quota it did not buy", () => {
    expect(plan([instance("tpm-other")], { now: OUT }).decisions.every((d) => d.verdict === "keep")).toBe(
      true,
    );
  });

  it("does not buy while a purchase's outcome is unknown, and adopts it once listed", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:20:00Z",
    };
    expect(plan([], { pending }).decisions[0]).toMatchObject({ verdict: "keep", rule: "pending" });
    expect(plan([], { pending }).decisions[0]!.reason).toContain("not buying again before 10:35 +08:00");
    const adopted = plan([instance("tpm-lost", "Running", "2026-11-23T02:20:05Z")], { pending });
    expect(adopted.decisions[0]).toMatchObject({ verdict: "keep", rule: "adopted" });
    expect(adopted.adopted.get("peak")).toMatchObject({ instanceId: "tpm-lost", count: 2 });
  });

  it("buys again once the lost purchase has stayed unlisted for the settling time", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:10:00Z",
    };
    const [decision] = plan([], { pending }).decisions;
    expect(decision).toMatchObject({ verdict: "act", rule: "window-on" });
    expect(decision!.reason).toContain("whose answer was lost is still not listed after 20m");
  });

  it("never buys again for a lost purchase whose remembered time cannot be read, and says so", () => {
    const pending = { window: "peak", model: "ernie-speed-8k", count: 2, attemptedAt: "not-a-time" };
    const [decision] = plan([], { pending, now: new Date("2026-11-23T03:50:00Z") }).decisions;
    expect(decision).toMatchObject({ verdict: "keep", rule: "pending" });
    expect(decision!.reason).toContain("an unreadable time ('not-a-time')");
  });

  it("counts a purchase of ours with an unreadable time as live, so it is not bought again", () => {
    const damaged = { ...purchase("tpm-ours"), purchasedAt: "garbage" };
    const result = plan([], { purchases: [damaged] });
    expect(result.decisions.some((d) => d.verdict === "act")).toBe(false);
  });

  it("counts a purchase of ours as live while a lagging listing does not show it yet", () => {
    const recent = { ...purchase("tpm-new"), purchasedAt: "2026-11-23T02:25:00Z" };
    expect(plan([], { purchases: [recent] }).decisions[0]).toMatchObject({
      verdict: "keep",
      rule: "bought",
      reason: expect.stringContaining("tpm-new not listed yet"),
    });
    const old = { ...purchase("tpm-gone"), purchasedAt: "2026-11-23T02:00:00Z" };
    expect(plan([], { purchases: [old] }).decisions[0]).toMatchObject({ verdict: "act" });
  });

  it("never adopts what was listed before the attempt, and two windows never adopt the same instance", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:20:00Z",
      listedBefore: ["tpm-theirs"],
    };
    const seen = plan([instance("tpm-theirs", "Running", "2026-11-23T02:20:30Z")], { pending });
    expect(seen.adopted.size).toBe(0);
    expect(seen.decisions[0]).toMatchObject({ verdict: "keep", rule: "pending" });

    const second = { ...window, name: "peak-2" };
    const lost = instance("tpm-lost", "Running", "2026-11-23T02:20:05Z");
    const ctxPending = new Map([
      ["peak", pending],
      ["peak-2", { ...pending, window: "peak-2" }],
    ]);
    const both = planTpmWindows(
      [
        { window, instances: [lost] },
        { window: second, instances: [lost] },
      ],
      {
        timeZone: "Asia/Shanghai",
        calendar: EMPTY_CALENDAR,
        maxLivePurchaseCount: 10,
        purchaseSettleMs: 15 * 60_000,
        purchases: new Map(),
        pending: ctxPending,
      },
      IN,
    );
    expect([...both.adopted.values()].map((p) => p.instanceId)).toEqual(["tpm-lost"]);
    expect(both.decisions.map((d) => d.rule)).toEqual(["adopted", "pending"]);
  });

  it("neither adopts nor buys again when several new instances could be the lost one", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:10:00Z",
    };
    const { decisions, adopted } = plan(
      [
        instance("tpm-a", "Running", "2026-11-23T02:10:05Z"),
        instance("tpm-b", "Running", "2026-11-23T02:10:09Z"),
      ],
      { pending },
    );
    expect(adopted.size).toBe(0);
    expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "pending" });
    expect(decisions[0]!.reason).toContain("2 new instances could be it");
  });

  describe("adopting a purchase whose answer was lost", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:00:00Z",
    };

    it.each(PLACEHOLDER_TIMES)(
      "does not adopt an instance whose startTime is %j, nor buy again",
      (placeholder) => {
        const { decisions, adopted } = plan([instance("tpm-undated", "Creating", placeholder)], { pending });
        expect(adopted.size).toBe(0);
        expect(decisions).toEqual([expect.objectContaining({ verdict: "keep", rule: "pending" })]);
        expect(decisions[0]!.reason).toContain(`not adopting tpm-undated (startTime '${placeholder}')`);
      },
    );

    it("adopts an instance whose startTime is absent when it was not listed before the attempt", () => {
      const undated = { ...instance("tpm-lost", "Creating"), startTime: undefined };
      const knowing = { ...pending, listedBefore: ["tpm-old"] };
      expect(plan([undated], { pending: knowing }).adopted.get("peak")).toMatchObject({
        instanceId: "tpm-lost",
      });
    });

    it("neither adopts nor buys again an instance with no startTime when it cannot tell old from new", () => {
      const undated = { ...instance("tpm-maybe", "Creating"), startTime: undefined };
      const { decisions, adopted } = plan([undated], { pending });
      expect(adopted.size).toBe(0);
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "pending" });
    });

    it("reads a Beijing-time startTime as Beijing time, whatever the machine's zone", () => {
      // Within the settling time: an older instance is neither adopted nor a reason to buy again.
      const now = new Date("2026-11-23T02:10:00Z");
      const before = plan([instance("tpm-older", "Running", "2026-11-23 09:50:00")], { pending, now });
      expect(before.adopted.size).toBe(0);
      expect(before.decisions[0]).toMatchObject({ verdict: "keep", rule: "pending" });
      const after = plan([instance("tpm-lost", "Running", "2026-11-23 10:00:05")], { pending, now });
      expect(after.adopted.get("peak")).toMatchObject({ instanceId: "tpm-lost" });
    });
  });

  describe("items of the listing that cannot be read", () => {
    const noStatus: InvalidItem = { index: 0, id: "tpm-1", problem: "status: Invalid option" };

    it("never releases a purchase of ours whose item cannot be read, nor buys again for it", () => {
      const after = plan([], { purchases: [purchase("tpm-1")], invalid: [noStatus], now: OUT });
      expect(after.decisions).toEqual([
        expect.objectContaining({ resourceId: "tpm-1", verdict: "keep", rule: "unreadable" }),
      ]);
      expect(after.decisions[0]!.reason).toContain("status: Invalid option");
      const during = plan([], { purchases: [purchase("tpm-1")], invalid: [noStatus] });
      expect(during.decisions).toEqual([expect.objectContaining({ verdict: "keep", rule: "bought" })]);
      expect(during.decisions[0]!.reason).toContain("tpm-1 cannot be read: status: Invalid option");
    });

    it("takes an item without an instanceId for possibly any of ours: neither bought again nor released", () => {
      const unnamed: InvalidItem = { index: 3, problem: "instanceId: expected string" };
      const during = plan([], { purchases: [purchase("tpm-1")], invalid: [unnamed] });
      expect(during.decisions).toEqual([expect.objectContaining({ verdict: "keep", rule: "bought" })]);
      expect(during.decisions[0]!.reason).toContain("without an instanceId");
      const after = plan([], { purchases: [purchase("tpm-1")], invalid: [unnamed], now: OUT });
      expect(after.decisions.some((d) => d.verdict === "act")).toBe(false);
    });

    it("neither adopts nor buys again while an unreadable new item may be the lost purchase", () => {
      const pending = {
        window: "peak",
        model: "ernie-speed-8k",
        count: 2,
        attemptedAt: "2026-11-23T02:00:00Z",
        listedBefore: ["tpm-old"],
      };
      const lost = instance("tpm-lost", "Running", "2026-11-23T02:00:05Z");
      const { decisions, adopted } = plan([lost], {
        pending,
        invalid: [{ index: 1, id: "tpm-x", problem: "paymentTiming: Invalid option" }],
      });
      expect(adopted.size).toBe(0);
      expect(decisions).toEqual([expect.objectContaining({ verdict: "keep", rule: "pending" })]);
      expect(decisions[0]!.reason).toContain("tpm-x (paymentTiming: Invalid option)");
      // An unreadable item listed before the attempt cannot be it: the readable new one is adopted.
      const known = plan([lost], {
        pending: { ...pending, listedBefore: ["tpm-old", "tpm-x"] },
        invalid: [{ index: 1, id: "tpm-x", problem: "paymentTiming: Invalid option" }],
      });
      expect(known.adopted.get("peak")).toMatchObject({ instanceId: "tpm-lost" });
    });
  });

  it("recognises a lost purchase by its new instanceId alone, whatever purchaseCount its item shows", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:20:00Z",
    };
    const listed = { ...instance("tpm-lost", "Running", "2026-11-23T02:20:05Z"), purchaseCount: 20_000 };
    const { decisions, adopted } = plan([listed], { pending });
    expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "adopted" });
    expect(adopted.get("peak")).toMatchObject({ instanceId: "tpm-lost", count: 2 });
  });

  it("adopts a lost purchase whose expiredTime is the placeholder '-' as one with no release time", () => {
    const pending = {
      window: "peak",
      model: "ernie-speed-8k",
      count: 2,
      attemptedAt: "2026-11-23T02:20:00Z",
    };
    const listed = { ...instance("tpm-lost", "Running", "2026-11-23T02:20:05Z"), expiredTime: "-" };
    const { adopted } = plan([listed], { pending });
    expect(adopted.get("peak")).toMatchObject({ instanceId: "tpm-lost", releaseTime: "" });
    const next = plan([listed], { purchases: [adopted.get("peak")!] });
    expect(next.decisions[0]).toMatchObject({ verdict: "keep", rule: "bought" });
    expect(next.decisions[0]!.reason).toContain("bought tpm-lost, no release time shown");
  });

  it("keeps the budget of live purchase counts", () => {
    const other = { window: { ...window, name: "other", count: 3 }, instances: [instance("tpm-1")] };
    const items = [other, { window, instances: [instance("tpm-1")] }];
    const { decisions } = plan([], {
      items,
      purchases: [{ ...purchase("tpm-1", 9), window: "other" }],
      budget: 10,
    });
    expect(decisions.find((d) => d.resourceId === "window:peak")).toMatchObject({
      verdict: "keep",
      rule: "over-budget",
    });
  });

  it("refuses to buy for a window with no end in sight", () => {
    const always = { window: { ...window, schedule: parseSchedule("always") }, instances: [] };
    expect(plan([], { items: [always] }).decisions[0]).toMatchObject({ verdict: "keep", rule: "no-end" });
  });

  it("formats release times in RFC 3339 with the zone's offset", () => {
    expect(formatReleaseTime(new Date("2026-11-23T04:00:00Z"), "Asia/Shanghai")).toBe(
      "2026-11-23T12:00:00+08:00",
    );
    expect(formatReleaseTime(new Date("2026-07-01T10:00:00Z"), "Europe/Berlin")).toBe(
      "2026-07-01T12:00:00+02:00",
    );
  });
});

describe("planTpmWindows over random listings", () => {
  it("never releases an instance whose item cannot be read, and never buys while one of ours is", () => {
    const ids = ["tpm-1", "tpm-2", "tpm-3"];
    fc.assert(
      fc.property(
        fc.subarray(ids),
        fc.subarray(ids),
        fc.subarray(ids),
        fc.integer({ min: Date.parse("2026-11-23T00:00:00Z"), max: Date.parse("2026-11-30T00:00:00Z") }),
        (readable, unreadable, oursIds, t) => {
          const bad = unreadable.filter((id) => !readable.includes(id));
          const { decisions } = plan(
            readable.map((id) => instance(id)),
            {
              purchases: oursIds.map((id) => purchase(id)),
              invalid: bad.map((id, index) => ({ index, id, problem: "status: Invalid option" })),
              now: new Date(t),
            },
          );
          for (const d of decisions.filter((x) => x.action?.type === "ReleaseTPMResource")) {
            expect(bad).not.toContain(d.resourceId);
          }
          if (oursIds.some((id) => bad.includes(id))) {
            expect(decisions.some((d) => d.action?.type === "PurchaseTPMResource")).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("buys at most once per window per run, only inside it, and releases only its own purchases", () => {
    const ids = fc.constantFrom("tpm-1", "tpm-2", "tpm-3");
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.tuple(
            ids,
            fc.constantFrom("Creating", "Running", "Stopped") as fc.Arbitrary<TpmInstance["status"]>,
          ),
          { selector: (t) => t[0] },
        ),
        fc.subarray(["tpm-1", "tpm-2"]),
        fc.integer({ min: Date.parse("2026-11-23T00:00:00Z"), max: Date.parse("2026-11-30T00:00:00Z") }),
        (listed, oursIds, t) => {
          const now = new Date(t);
          const { decisions } = plan(
            listed.map(([id, s]) => instance(id, s)),
            { purchases: oursIds.map((id) => purchase(id)), now },
          );
          const buys = decisions.filter((d) => d.action?.type === "PurchaseTPMResource");
          expect(buys.length).toBeLessThanOrEqual(1);
          const inWindow = decisions.some((d) => d.rule !== "outside" && d.rule !== "window-over");
          if (buys.length) expect(inWindow).toBe(true);
          const liveOurs = listed.some(([id, s]) => oursIds.includes(id) && s !== "Stopped");
          if (liveOurs) expect(buys).toHaveLength(0);
          for (const d of decisions.filter((x) => x.action?.type === "ReleaseTPMResource")) {
            expect(oursIds).toContain(d.resourceId);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
