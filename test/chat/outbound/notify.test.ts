import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatMessage } from "../../../lib/chat/outbound/message";
import { renderSlack } from "../../../lib/chat/outbound/message";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  dingtalkBotSign,
  feishuBotSign,
  formatNotices,
  formatRunSummary,
  type NotifyDeps,
  type NotifyTarget,
  notifyRooms,
} from "../../../lib/chat/outbound/notify";
import { type ChatStandIn, startChatStandIn } from "../../../lib/chat/outbound/stand-in";
import type { DecisionReport, JobReport, RunReport } from "../../../lib/engine/types";
import { fakeFetch } from "../../support/fake-fetch";

const message: ChatMessage = { title: "Run on prod", lines: ["release-units: 3 resources, 1 done"] };
const FEISHU_SECRET = "SECfeishu-bot-secret-01";
const DINGTALK_SECRET = "SECdingtalk-bot-secret-02";

/** Deps whose waits are recorded instead of slept; each wait moves the clock. */
function testDeps(fetch: NotifyDeps["fetch"], start = Date.parse("2026-03-02T06:00:00Z")) {
  let ms = start;
  const waits: number[] = [];
  const deps: NotifyDeps = {
    fetch,
    now: () => new Date(ms),
    random: () => 0.5,
    sleep: async (wait) => {
      waits.push(wait);
      ms += wait;
    },
  };
  return { deps, waits };
}

describe("notifyRooms against the local stand-in", () => {
  const nowMs = Date.parse("2026-03-02T06:00:00Z");
  let standIn: ChatStandIn;
  let targets: NotifyTarget[];

  beforeAll(async () => {
    standIn = await startChatStandIn({ now: () => new Date(nowMs) });
    targets = [
      { platform: "slack", webhookUrl: standIn.addBot("slack"), name: "ops-slack" },
      {
        platform: "feishu",
        webhookUrl: standIn.addBot("feishu", { secret: FEISHU_SECRET }),
        secret: FEISHU_SECRET,
      },
      {
        platform: "dingtalk",
        webhookUrl: standIn.addBot("dingtalk", { secret: DINGTALK_SECRET }),
        secret: DINGTALK_SECRET,
      },
      { platform: "wecom", webhookUrl: standIn.addBot("wecom"), name: "ops-wecom" },
    ];
  });
  afterAll(() => standIn.close());
  beforeEach(() => {
    standIn.received.length = 0;
  });

  it("posts to all four kinds of room, signing Feishu and DingTalk, and reports each by name", async () => {
    const { deps } = testDeps(fetch, nowMs);

    const results = await notifyRooms(targets, message, deps);

    expect(results).toEqual([
      { target: "ops-slack", platform: "slack", ok: true, attempts: 1 },
      { target: "feishu#1", platform: "feishu", ok: true, attempts: 1 },
      { target: "dingtalk#2", platform: "dingtalk", ok: true, attempts: 1 },
      { target: "ops-wecom", platform: "wecom", ok: true, attempts: 1 },
    ]);
    const byRoute = Object.fromEntries(standIn.received.map((r) => [r.route, r]));
    expect(byRoute["bot.slack"]?.body).toEqual(renderSlack(message));
    const seconds = String(nowMs / 1000);
    expect(byRoute["bot.feishu"]?.body).toMatchObject({
      msg_type: "interactive",
      timestamp: seconds,
      sign: feishuBotSign(seconds, FEISHU_SECRET),
    });
    expect(byRoute["bot.dingtalk"]?.query).toMatchObject({
      timestamp: String(nowMs),
      sign: dingtalkBotSign(nowMs, DINGTALK_SECRET),
    });
    expect(byRoute["bot.wecom"]?.body).toMatchObject({ msgtype: "markdown" });
  });

  it("reports a room with the wrong secret after one attempt, with the platform's code and no secret", async () => {
    const { deps, waits } = testDeps(fetch, nowMs);
    const wrong: NotifyTarget = { ...targets[1]!, secret: "SECwrong-secret-zzz" } as NotifyTarget;

    const [result] = await notifyRooms([wrong], message, deps);

    expect(result).toMatchObject({ ok: false, attempts: 1 });
    expect(result?.error).toMatch(/^feishu: webhook refused: code 19021/);
    expect(result?.error).not.toMatch(/SECwrong|bots\/feishu|127\.0\.0\.1/);
    expect(waits).toEqual([]);
  });

  it("retries a 5xx and a dropped connection with growing waits, then succeeds", async () => {
    const { deps, waits } = testDeps(fetch, nowMs);
    standIn.failNext("bot.slack", [503, 0]);

    const [result] = await notifyRooms([targets[0]!], message, deps);

    expect(result).toEqual({ target: "ops-slack", platform: "slack", ok: true, attempts: 3 });
    expect(standIn.received.map((r) => r.status)).toEqual([503, 0, 200]);
    expect(waits).toEqual([
      backoffDelay(1, DEFAULT_BACKOFF, () => 0.5),
      backoffDelay(2, DEFAULT_BACKOFF, () => 0.5),
    ]);
    expect(waits[1]!).toBeGreaterThan(waits[0]!);
  });

  it("signs each retry afresh, with the clock of that attempt", async () => {
    const { deps, waits } = testDeps(fetch, nowMs);
    deps.backoff = { baseMs: 4000, maxMs: 8000 };
    standIn.failNext("bot.feishu", [502]);

    const [result] = await notifyRooms([targets[1]!], message, deps);

    expect(result?.ok).toBe(true);
    const stamps = standIn.received.map((r) => (r.body as { timestamp: string }).timestamp);
    expect(stamps).toHaveLength(2);
    expect(Number(stamps[1]) - Number(stamps[0])).toBe(Math.floor(waits[0]! / 1000));
  });
});

describe("backoff", () => {
  it("doubles from the base up to the cap, with half of each wait random", () => {
    const backoff = { baseMs: 500, maxMs: 4000 };
    const low = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff, () => 0));
    const high = [1, 2, 3, 4, 5].map((n) => backoffDelay(n, backoff, () => 0.999999));

    expect(low).toEqual([250, 500, 1000, 2000, 2000]);
    expect(high).toEqual([500, 1000, 2000, 4000, 4000]);
  });
});

describe("a failing room never throws", () => {
  const slack = (webhookUrl: string): NotifyTarget => ({ platform: "slack", webhookUrl });

  it("retries network errors and 5xx, then reports the last failure with its attempts", async () => {
    const fake = fakeFetch([
      { networkError: "ECONNRESET" },
      { status: 500, body: "rollup_error" },
      { status: 503, body: "" },
    ]);
    const { deps, waits } = testDeps(fake.fetch);

    const results = await notifyRooms(
      [slack("https://hooks.slack.com/services/T0/B0/KEYKEYKEY123")],
      message,
      deps,
    );

    expect(results).toEqual([
      {
        target: "slack#0",
        platform: "slack",
        ok: false,
        attempts: 3,
        error: "slack: webhook refused: HTTP 503",
      },
    ]);
    expect(waits).toHaveLength(2);
  });

  it("does not retry a refusal that will not change (4xx)", async () => {
    const fake = fakeFetch([{ status: 404, body: "channel_not_found" }]);
    const { deps } = testDeps(fake.fetch);

    const [result] = await notifyRooms(
      [slack("https://hooks.slack.com/services/T0/B0/KEYKEYKEY123")],
      message,
      deps,
    );

    expect(result).toMatchObject({
      ok: false,
      attempts: 1,
      error: "slack: webhook refused: HTTP 404, channel_not_found",
    });
  });

  it("retries a platform's rate-limit code", async () => {
    const fake = fakeFetch([
      { status: 200, body: { errcode: 130101, errmsg: "send too fast" } },
      { status: 200, body: { errcode: 0, errmsg: "ok" } },
    ]);
    const { deps } = testDeps(fake.fetch);

    const [result] = await notifyRooms(
      [
        {
          platform: "dingtalk",
          webhookUrl: "https://oapi.dingtalk.com/robot/send?access_token=abc123abc123",
        },
      ],
      message,
      deps,
    );

    expect(result).toMatchObject({ ok: true, attempts: 2 });
  });

  it("reports a bad URL, a hanging room and a throwing fetch, while the others still get the message", async () => {
    const fake = fakeFetch((request) => {
      if (request.url.hostname === "hang.example") return { hang: true };
      if (request.url.hostname === "boom.example")
        throw new RangeError("something odd at https://boom.example/KEY");
      return { status: 200, body: "ok" };
    });
    const { deps } = testDeps(fake.fetch);
    deps.timeoutMs = 30;
    deps.retries = 1;

    const results = await notifyRooms(
      [
        slack("not a url"),
        slack("https://hang.example/services/KEYHANGHANG"),
        slack("https://boom.example/services/KEYBOOMBOOM"),
        slack("https://hooks.slack.com/services/T0/B0/GOODGOODGOOD"),
      ],
      message,
      deps,
    );

    expect(results.map((r) => [r.ok, r.attempts, r.error])).toEqual([
      [false, 0, "slack: the webhook URL is not a URL"],
      [false, 2, "slack: webhook: no answer within 30 ms"],
      [false, 2, "slack: webhook: network error"],
      [true, 1, undefined],
    ]);
    expect(JSON.stringify(results)).not.toMatch(/KEY|example|hooks\.slack/);
  });

  it("scrubs the webhook key and secret from anything the platform says back", async () => {
    const key = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    const webhookUrl = `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${key}`;
    const fake = fakeFetch([{ status: 200, body: { errcode: 93000, errmsg: `invalid webhook url ${key}` } }]);
    const { deps } = testDeps(fake.fetch);

    const [result] = await notifyRooms([{ platform: "wecom", webhookUrl }], message, deps);

    expect(result?.error).toBe("wecom: webhook refused: code 93000, invalid webhook url [redacted]");
  });
});

// ------------------------------------------------------------------------------------ wording

const decision = (
  d: Partial<DecisionReport> & Pick<DecisionReport, "resourceId" | "verdict">,
): DecisionReport => ({
  rule: "idle",
  reason: "idle since 02:10, 2h15m ≥ 2h",
  ...d,
});

const job = (name: string, decisions: DecisionReport[], extra: Partial<JobReport> = {}): JobReport => ({
  job: name,
  status: "ok",
  decisions,
  totals: {
    resources: decisions.length,
    planned: decisions.filter((d) => d.verdict !== "keep").length,
    done: decisions.filter((d) => d.outcome?.status === "done").length,
    failed: decisions.filter((d) => d.outcome?.status === "failed").length,
    skipped: 0,
    deferred: 0,
    noticed: decisions.filter((d) => d.outcome?.status === "noticed").length,
    computeUnitsReleased: 0,
  },
  warnings: [],
  ...extra,
});

const report = (jobs: JobReport[], extra: Partial<RunReport> = {}): RunReport => ({
  runId: "run-42",
  evaluatedAt: "2026-03-02T06:00:00.000Z",
  startedAt: "2026-03-02T06:00:00.000Z",
  finishedAt: "2026-03-02T06:00:05.000Z",
  dryRun: false,
  recorded: true,
  target: "prod",
  jobs,
  ...extra,
});

describe("formatRunSummary", () => {
  it("puts job totals first, then failures, done actions and announcements", () => {
    const summary = formatRunSummary(
      report([
        job("release-units", [
          decision({
            resourceId: "unit-a",
            verdict: "act",
            outcome: { status: "done", observed: "status Releasing" },
          }),
          decision({
            resourceId: "unit-b",
            verdict: "act",
            outcome: { status: "failed", code: "Throttled", message: "slow down" },
          }),
          decision({
            resourceId: "unit-c",
            verdict: "notice",
            reason: "idle; will be released at 14:00 unless snoozed",
            outcome: { status: "noticed" },
          }),
          decision({ resourceId: "unit-d", verdict: "keep", rule: "busy", reason: "busy" }),
        ]),
        job("stop-batch-tasks", [], {
          status: "stopped",
          stoppedBy: { guard: "max-actions", message: "too many" },
        }),
      ]),
    );

    expect(summary.title).toBe("Run on prod — 1 failed");
    expect(summary.more).toBe("history");
    expect(summary.lines).toEqual([
      "release-units: 4 resources, 3 to act on, 1 done, 1 announced, 1 failed",
      "stop-batch-tasks: STOPPED — 0 resources, 0 to act on",
      "stop-batch-tasks: stopped by guard max-actions: too many",
      "✗ unit-b: FAILED: Throttled slow down",
      "✓ unit-a: done: status Releasing",
      "⏰ unit-c: idle; will be released at 14:00 unless snoozed",
    ]);
  });

  it("says what a dry run would do", () => {
    const summary = formatRunSummary(
      report(
        [
          job("release-units", [
            decision({ resourceId: "unit-a", verdict: "act", outcome: { status: "planned" } }),
          ]),
        ],
        {
          dryRun: true,
        },
      ),
    );

    expect(summary.title).toBe("Dry run on prod");
    expect(summary.lines).toContain("• would act on unit-a: idle since 02:10, 2h15m ≥ 2h");
  });
});

describe("formatNotices", () => {
  const noticed = (id: string, dueAt: string, label?: string) =>
    decision({ resourceId: id, label, verdict: "notice", dueAt, outcome: { status: "noticed" } });

  it("announces each recorded notice with its time and the snooze that keeps it", () => {
    const messages = formatNotices(
      report([
        job("release-units", [
          noticed("unit-x", "2026-03-02T14:00:00.000Z", "8 CU"),
          decision({ resourceId: "unit-y", verdict: "keep", rule: "notice-pending" }),
        ]),
        job("stop-batch-tasks", [noticed("task-1", "2026-03-03T01:30:00.000Z")]),
      ]),
    );

    expect(messages).toEqual([
      {
        title: "release-units: 1 resource will be released unless snoozed",
        lines: ["unit-x (8 CU) will be released at 14:00 +00:00 — reply `snooze unit-x 4h` to keep it"],
        more: "history",
      },
      {
        title: "stop-batch-tasks: 1 resource will be stopped unless snoozed",
        lines: ["task-1 will be stopped at 03-03 01:30 +00:00 — reply `snooze task-1 4h` to keep it"],
        more: "history",
      },
    ]);
  });

  it("shows times in the configured zone and suggests the configured snooze", () => {
    const [notice] = formatNotices(
      report([job("release-units", [noticed("unit-x", "2026-03-02T06:00:00.000Z")])]),
      {
        timeZone: "Asia/Shanghai",
        snoozeFor: "1d",
      },
    );

    expect(notice?.lines).toEqual([
      "unit-x will be released at 14:00 +08:00 — reply `snooze unit-x 1d` to keep it",
    ]);
  });

  it("announces nothing for a dry run, a what-if, a rehearsal or an unrecorded run", () => {
    const jobs = [job("release-units", [noticed("unit-x", "2026-03-02T14:00:00.000Z")])];

    expect(formatNotices(report(jobs, { dryRun: true }))).toEqual([]);
    expect(formatNotices(report(jobs, { whatIf: true }))).toEqual([]);
    expect(formatNotices(report(jobs, { simulated: true }))).toEqual([]);
    expect(formatNotices(report(jobs, { recorded: false }))).toEqual([]);
  });
});
