import { describe, expect, it } from "vitest";
import {
  planUnitReleases,
  type ReleaseUnitsContext,
  type ReleaseUnitsPolicy,
  type UnitMark,
} from "../../lib/jobs/release-units/plan";
import type { ComputeUnit } from "../../lib/qianfan";
import { PLACEHOLDER_TIMES } from "./placeholder-times";

const NOW = new Date("2026-11-23T06:25:00Z"); // 14:25 in Shanghai
const H = 3_600_000;

const unit = (over: Partial<ComputeUnit> = {}): ComputeUnit => ({
  instanceId: "unit-a",
  region: "bj",
  status: "Running",
  type: "gpu-1",
  totalComputeUnits: 4,
  usedComputeUnits: 0,
  paymentTiming: "Postpaid",
  startTime: "2026-11-20T00:00:00Z",
  creator: "alice@example.com",
  ...over,
});

const policy = (over: Partial<ReleaseUnitsPolicy> = {}): ReleaseUnitsPolicy => ({
  minAgeMs: 1 * H,
  idleForMs: 2 * H,
  timeZone: "Asia/Shanghai",
  ...over,
});

function plan(
  units: ComputeUnit[],
  opts: {
    policy?: Partial<ReleaseUnitsPolicy>;
    marks?: Record<string, UnitMark>;
    snoozed?: Record<string, string>;
    protectedBy?: ReleaseUnitsContext["protectedBy"];
    now?: Date;
  } = {},
) {
  const ctx: ReleaseUnitsContext = {
    policy: policy(opts.policy),
    marks: new Map(Object.entries(opts.marks ?? {})),
    snoozedUntil: new Map(Object.entries(opts.snoozed ?? {})),
    protectedBy: opts.protectedBy ?? (() => undefined),
  };
  return planUnitReleases(units, ctx, opts.now ?? NOW);
}

const idleFor = (ms: number): Record<string, UnitMark> => ({
  "unit-a": { idleSince: new Date(NOW.getTime() - ms).toISOString() },
});

describe("planUnitReleases", () => {
  const cases: Array<{
    name: string;
    unit: Partial<ComputeUnit>;
    marks?: Record<string, UnitMark>;
    policy?: Partial<ReleaseUnitsPolicy>;
    snoozed?: Record<string, string>;
    protectedBy?: ReleaseUnitsContext["protectedBy"];
    verdict: "act" | "keep" | "notice";
    rule: string;
    reason?: string | RegExp;
  }> = [
    {
      name: "releases a unit idle for longer than idleFor, saying since when",
      unit: {},
      marks: { "unit-a": { idleSince: "2026-11-23T04:10:00Z" } },
      verdict: "act",
      rule: "idle",
      reason: "idle since 12:10 +08:00, 2h15m ≥ 2h",
    },
    {
      name: "keeps a unit idle for less than idleFor",
      unit: {},
      marks: idleFor(45 * 60_000),
      verdict: "keep",
      rule: "idle-too-short",
      reason: /45m < 2h$/,
    },
    {
      name: "starts counting idle time at the first run that sees it idle",
      unit: {},
      verdict: "keep",
      rule: "idle-too-short",
      reason: /0s < 2h/,
    },
    {
      name: "never releases a prepaid unit, even idle for days",
      unit: { paymentTiming: "Prepaid" },
      marks: idleFor(72 * H),
      verdict: "keep",
      rule: "prepaid",
    },
    {
      name: "never releases a prepaid unit whose expiry passed",
      unit: { paymentTiming: "Prepaid", expiredTime: "2026-11-01T00:00:00Z" },
      verdict: "keep",
      rule: "prepaid",
    },
    {
      name: "never releases a busy unit",
      unit: { usedComputeUnits: 1 },
      marks: idleFor(72 * H),
      verdict: "keep",
      rule: "busy",
      reason: "busy: 1 of 4 compute units in use",
    },
    {
      name: "never releases a busy unit whose auto-release time passed",
      unit: { usedComputeUnits: 2, releaseTime: "2026-11-22T00:00:00Z" },
      verdict: "keep",
      rule: "busy",
    },
    {
      name: "leaves a unit that is not Running alone",
      unit: { status: "Releasing" },
      marks: idleFor(72 * H),
      verdict: "keep",
      rule: "not-running",
    },
    {
      name: "leaves a Creating unit alone",
      unit: { status: "Creating" },
      verdict: "keep",
      rule: "not-running",
    },
    {
      name: "never releases a protected unit",
      unit: {},
      marks: idleFor(72 * H),
      protectedBy: () => "instanceId rule 'unit-*'",
      verdict: "keep",
      rule: "protected",
      reason: "protected by instanceId rule 'unit-*'",
    },
    {
      name: "never releases a snoozed unit",
      unit: {},
      marks: idleFor(72 * H),
      snoozed: { "unit-a": "2026-11-23T08:00:00Z" },
      verdict: "keep",
      rule: "snoozed",
      reason: "snoozed until 16:00 +08:00",
    },
    {
      name: "releases once a snooze has run out",
      unit: {},
      marks: idleFor(3 * H),
      snoozed: { "unit-a": "2026-11-23T06:00:00Z" },
      verdict: "act",
      rule: "idle",
    },
    {
      name: "never releases a unit younger than minAge, even expired",
      unit: { startTime: "2026-11-23T06:00:00Z", releaseTime: "2026-11-23T06:10:00Z" },
      verdict: "keep",
      rule: "too-young",
      reason: "started 25m ago, younger than minAge 1h",
    },
    {
      name: "releases a unit whose auto-release time passed while it still runs",
      unit: { releaseTime: "2026-11-23T02:00:00Z" },
      verdict: "act",
      rule: "expired",
      reason: "auto-release time 10:00 +08:00 passed 4h25m ago and it is still Running",
    },
    {
      name: "reads a Beijing-time release time",
      unit: { releaseTime: "2026-11-23 10:00:00" },
      verdict: "act",
      rule: "expired",
      reason: /auto-release time 10:00 \+08:00 passed 4h25m ago/,
    },
    {
      name: "does not release before the auto-release time",
      unit: { releaseTime: "2026-11-23T07:00:00Z" },
      verdict: "keep",
      rule: "idle-too-short",
    },
    {
      name: "releases a postpaid unit whose expiry passed",
      unit: { expiredTime: "2026-11-23T06:00:00Z" },
      verdict: "act",
      rule: "expired",
    },
    {
      name: "releases a postpaid unit older than maxAge",
      unit: { startTime: "2026-10-01T00:00:00Z" },
      policy: { maxAgeMs: 30 * 24 * H },
      verdict: "act",
      rule: "max-age",
      reason: "running for 53d6h, ≥ maxAge 30d",
    },
    {
      name: "keeps a unit younger than maxAge",
      unit: {},
      policy: { maxAgeMs: 30 * 24 * H },
      verdict: "keep",
      rule: "idle-too-short",
    },
    {
      name: "keeps units of other regions",
      unit: { region: "bd" },
      marks: idleFor(3 * H),
      policy: { regions: ["bj"] },
      verdict: "keep",
      rule: "out-of-scope",
    },
    {
      name: "treats an idle mark in the future (what-if in the past) as not idle yet",
      unit: {},
      marks: { "unit-a": { idleSince: "2026-11-24T00:00:00Z" } },
      verdict: "keep",
      rule: "idle-too-short",
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const { decisions } = plan([unit(c.unit)], {
        marks: c.marks,
        policy: c.policy,
        snoozed: c.snoozed,
        protectedBy: c.protectedBy,
      });
      expect(decisions).toHaveLength(1);
      expect(decisions[0]).toMatchObject({ resourceId: "unit-a", verdict: c.verdict, rule: c.rule });
      if (typeof c.reason === "string") expect(decisions[0]!.reason).toBe(c.reason);
      else if (c.reason) expect(decisions[0]!.reason).toMatch(c.reason);
      if (c.verdict === "act")
        expect(decisions[0]!.action).toEqual({ type: "ReleaseComputeUnit", instanceId: "unit-a" });
      else expect(decisions[0]!.action).toBeUndefined();
    });
  }

  it("remembers the first idle sighting and keeps it across runs", () => {
    const first = plan([unit()]);
    expect(first.marks.get("unit-a")).toEqual({ idleSince: NOW.toISOString() });
    const later = new Date(NOW.getTime() + H);
    const second = plan([unit()], { marks: Object.fromEntries(first.marks), now: later });
    expect(second.marks.get("unit-a")).toEqual({ idleSince: NOW.toISOString() });
  });

  it("forgets idle time as soon as the unit is used again", () => {
    const { marks } = plan([unit({ usedComputeUnits: 1 })], { marks: idleFor(5 * H) });
    expect(marks.has("unit-a")).toBe(false);
  });

  it("forgets units that are no longer listed", () => {
    const { marks } = plan([unit({ instanceId: "unit-b" })], { marks: idleFor(5 * H) });
    expect([...marks.keys()]).toEqual(["unit-b"]);
  });

  it("counts compute units and the saving per hour of a release", () => {
    const { decisions } = plan([unit()], {
      marks: idleFor(3 * H),
      policy: { pricePerUnitHour: (t) => (t === "gpu-1" ? 12.5 : undefined) },
    });
    expect(decisions[0]).toMatchObject({ computeUnits: 4, savingPerHour: 50 });
  });

  describe("mark, then act", () => {
    const notice = { noticeForMs: 1 * H };

    it("announces first instead of releasing", () => {
      const { decisions, marks } = plan([unit()], { marks: idleFor(3 * H), policy: notice });
      expect(decisions[0]).toMatchObject({
        verdict: "notice",
        rule: "idle",
        dueAt: "2026-11-23T07:25:00.000Z",
      });
      expect(decisions[0]!.reason).toMatch(/will be released at 15:25 \+08:00 unless snoozed$/);
      expect(marks.get("unit-a")).toMatchObject({
        noticeGivenAt: NOW.toISOString(),
        noticeDueAt: "2026-11-23T07:25:00.000Z",
      });
    });

    it("waits while the notice runs", () => {
      const marks = {
        "unit-a": {
          idleSince: "2026-11-23T00:00:00Z",
          noticeGivenAt: "2026-11-23T06:00:00Z",
          noticeDueAt: "2026-11-23T07:00:00Z",
        },
      };
      const { decisions } = plan([unit()], { marks, policy: notice });
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "notice-pending" });
    });

    it("releases when the notice is due and the unit still qualifies", () => {
      const marks = {
        "unit-a": {
          idleSince: "2026-11-23T00:00:00Z",
          noticeGivenAt: "2026-11-23T05:00:00Z",
          noticeDueAt: "2026-11-23T06:00:00Z",
        },
      };
      const { decisions } = plan([unit()], { marks, policy: notice });
      expect(decisions[0]).toMatchObject({ verdict: "act", rule: "idle" });
      expect(decisions[0]!.reason).toContain("announced at 13:00 +08:00");
    });

    it("drops the notice when the unit is used again", () => {
      const marks = {
        "unit-a": {
          idleSince: "2026-11-23T00:00:00Z",
          noticeGivenAt: "2026-11-23T05:00:00Z",
          noticeDueAt: "2026-11-23T06:00:00Z",
        },
      };
      const busy = plan([unit({ usedComputeUnits: 2 })], { marks, policy: notice });
      expect(busy.decisions[0]!.verdict).toBe("keep");
      expect(busy.marks.has("unit-a")).toBe(false);
    });

    it("does not release a noticed unit that was snoozed since", () => {
      const marks = {
        "unit-a": {
          idleSince: "2026-11-23T00:00:00Z",
          noticeGivenAt: "2026-11-23T05:00:00Z",
          noticeDueAt: "2026-11-23T06:00:00Z",
        },
      };
      const { decisions } = plan([unit()], {
        marks,
        policy: notice,
        snoozed: { "unit-a": "2026-11-24T00:00:00Z" },
      });
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "snoozed" });
    });
  });

  describe("placeholder dates mean no date", () => {
    it.each(PLACEHOLDER_TIMES)("does not read releaseTime %j as an expiry long past", (placeholder) => {
      const { decisions } = plan([unit({ releaseTime: placeholder })], { marks: idleFor(30 * 60_000) });
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "idle-too-short" });
      expect(decisions[0]!.reason).toMatch(/30m < 2h$/);
    });

    it.each(PLACEHOLDER_TIMES)("does not read expiredTime %j as an expiry long past", (placeholder) => {
      const { decisions } = plan([unit({ expiredTime: placeholder })]);
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "idle-too-short" });
    });

    it.each(PLACEHOLDER_TIMES)("still releases on a real expiry when the other time is %j", (placeholder) => {
      const { decisions } = plan([unit({ releaseTime: placeholder, expiredTime: "2026-11-23T02:00:00Z" })]);
      expect(decisions[0]).toMatchObject({ verdict: "act", rule: "expired" });
      expect(decisions[0]!.reason).toMatch(/^expiry time 10:00 \+08:00 passed/);
    });

    it.each(PLACEHOLDER_TIMES)("keeps a unit whose startTime is %j: its age is unknown", (placeholder) => {
      const { decisions, marks } = plan(
        [unit({ startTime: placeholder, releaseTime: "2026-11-01T00:00:00Z" })],
        {
          marks: idleFor(72 * H),
          policy: { maxAgeMs: 24 * H },
        },
      );
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "age-unknown" });
      expect(decisions[0]!.action).toBeUndefined();
      expect(decisions[0]!.reason).toBe(
        `startTime '${placeholder}' is a placeholder, not a time: its age is unknown, so it is not released`,
      );
      expect(marks.get("unit-a")?.idleSince).toBe(new Date(NOW.getTime() - 72 * H).toISOString());
    });
  });
});
