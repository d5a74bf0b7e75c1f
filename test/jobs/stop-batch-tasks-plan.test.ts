import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { useGlobCompiler } from "../../lib/config/glob";
import { compileGlob } from "../../lib/config/glob-compiler";
import type { NoticeMark } from "../../lib/engine/notice";
import { limitsFor, planTaskStops, taskStartTime } from "../../lib/jobs";
import type { StopBatchTasksContext, StopBatchTasksPolicy } from "../../lib/jobs/stop-batch-tasks/plan";
import { type BatchTask, parsePlatformTime, TASK_RUN_STATUSES } from "../../lib/qianfan";
import { PLACEHOLDER_TIMES, placeholderTime } from "./placeholder-times";

// The limits' globs compiled by picomatch, as loading a YAML config has them compiled.
beforeAll(() => useGlobCompiler(compileGlob));

const NOW = new Date("2026-11-23T06:00:00Z");
const H = 3_600_000;
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();

const task = (over: Partial<BatchTask> = {}): BatchTask => ({
  taskId: "infer-1",
  name: "nightly-embeddings",
  modelId: "am-ernie-speed-8k",
  runStatus: "Running",
  createTime: ago(30 * H),
  startTime: ago(29 * H),
  ...over,
});

const policy = (over: Partial<StopBatchTasksPolicy> = {}): StopBatchTasksPolicy => ({
  maxRuntimeMs: 24 * H,
  maxQueuedMs: 6 * H,
  limits: [],
  timeZone: "Asia/Shanghai",
  ...over,
});

function plan(
  tasks: BatchTask[],
  opts: {
    policy?: Partial<StopBatchTasksPolicy>;
    marks?: Record<string, NoticeMark>;
    snoozed?: Record<string, string>;
    protectedBy?: StopBatchTasksContext["protectedBy"];
  } = {},
) {
  return planTaskStops(
    tasks,
    {
      policy: policy(opts.policy),
      marks: new Map(Object.entries(opts.marks ?? {})),
      snoozedUntil: new Map(Object.entries(opts.snoozed ?? {})),
      protectedBy: opts.protectedBy ?? (() => undefined),
    },
    NOW,
  );
}

describe("planTaskStops", () => {
  const cases: Array<{
    name: string;
    task: Partial<BatchTask>;
    policy?: Partial<StopBatchTasksPolicy>;
    snoozed?: Record<string, string>;
    protectedBy?: StopBatchTasksContext["protectedBy"];
    verdict: string;
    rule: string;
    reason?: string;
  }> = [
    {
      name: "stops a task running past maxRuntime, showing runtime against the limit",
      task: {},
      verdict: "act",
      rule: "overrun",
      reason: "running for 1d5h, > maxRuntime 1d (job limit)",
    },
    {
      name: "keeps a task under its limit",
      task: { startTime: ago(3 * H) },
      verdict: "keep",
      rule: "within-limit",
      reason: "running for 3h, within maxRuntime 1d (job limit)",
    },
    {
      name: "keeps a task exactly at its limit",
      task: { startTime: ago(24 * H) },
      verdict: "keep",
      rule: "within-limit",
    },
    {
      name: "measures from creation when no start time is given, and says so",
      task: { startTime: undefined, createTime: ago(25 * H) },
      verdict: "act",
      rule: "overrun",
      reason:
        "running for 1d1h (counted from createTime, queue time included: the task gives no startTime), > maxRuntime 1d (job limit)",
    },
    {
      name: "applies the first matching per-task limit by name",
      task: { name: "eval-sweep", startTime: ago(13 * H) },
      policy: {
        limits: [
          { name: "eval-*", maxRuntime: 12 * H },
          { name: "*", maxRuntime: 48 * H },
        ],
      },
      verdict: "act",
      rule: "overrun",
      reason: "running for 13h, > maxRuntime 12h (limit for name 'eval-*')",
    },
    {
      name: "applies a per-task limit by model",
      task: {},
      policy: { limits: [{ model: "am-ernie-speed-*", maxRuntime: 48 * H }] },
      verdict: "keep",
      rule: "within-limit",
    },
    {
      name: "stops a task queued past maxQueued",
      task: { runStatus: "Queuing", startTime: undefined, createTime: ago(7 * H) },
      verdict: "act",
      rule: "stuck-in-queue",
      reason: "queued for 7h, > maxQueued 6h (job limit)",
    },
    {
      name: "keeps a queued task when no maxQueued is set",
      task: { runStatus: "Queuing", startTime: undefined, createTime: ago(70 * H) },
      policy: { maxQueuedMs: undefined },
      verdict: "keep",
      rule: "within-limit",
    },
    {
      name: "never stops a protected task",
      task: {},
      protectedBy: () => "rule name 'training-*'",
      verdict: "keep",
      rule: "protected",
    },
    {
      name: "never stops a snoozed task",
      task: {},
      snoozed: { "infer-1": "2026-11-23T08:00:00Z" },
      verdict: "keep",
      rule: "snoozed",
      reason: "snoozed until 16:00 +08:00",
    },
    {
      name: "leaves finished tasks alone",
      task: { runStatus: "Done" },
      verdict: "keep",
      rule: "not-running",
    },
    {
      name: "leaves a task already stopping alone",
      task: { runStatus: "Stopping" },
      verdict: "keep",
      rule: "not-running",
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { decisions } = plan([task(c.task)], {
        policy: c.policy,
        snoozed: c.snoozed,
        protectedBy: c.protectedBy,
      });
      expect(decisions[0]).toMatchObject({ verdict: c.verdict, rule: c.rule });
      if (c.reason) expect(decisions[0]!.reason).toBe(c.reason);
      if (c.verdict === "act")
        expect(decisions[0]!.action).toEqual({ type: "StopBatchInferenceTask", taskId: "infer-1" });
    });
  }

  it("announces first, then stops when the notice is due", () => {
    const first = plan([task()], { policy: { noticeForMs: 30 * 60_000 } });
    expect(first.decisions[0]).toMatchObject({ verdict: "notice" });
    expect(first.decisions[0]!.reason).toMatch(/will be stopped at 14:30 \+08:00 unless snoozed$/);
    const due = { "infer-1": { noticeGivenAt: ago(H), noticeDueAt: ago(30 * 60_000) } };
    expect(plan([task()], { policy: { noticeForMs: 30 * 60_000 }, marks: due }).decisions[0]).toMatchObject({
      verdict: "act",
    });
  });

  it("uses startTime when given, else createTime (one documented function)", () => {
    expect(taskStartTime(task())!.field).toBe("startTime");
    expect(taskStartTime(task({ startTime: undefined }))!.field).toBe("createTime");
  });

  it("falls back to the job limit for what a matching rule does not set", () => {
    const limits = limitsFor(
      task({ name: "eval-1" }),
      policy({ limits: [{ name: "eval-*", maxRuntime: 2 * H }] }),
    );
    expect(limits).toEqual({
      maxRuntimeMs: 2 * H,
      maxQueuedMs: 6 * H,
      runtimeSource: "limit for name 'eval-*'",
      queuedSource: "job limit",
    });
  });
});

describe("planTaskStops with placeholder dates", () => {
  it.each(PLACEHOLDER_TIMES)("measures from createTime when startTime is %j", (placeholder) => {
    const t = task({ startTime: placeholder, createTime: ago(3 * H) });
    expect(taskStartTime(t)).toEqual({ at: new Date(NOW.getTime() - 3 * H), field: "createTime" });
    const { decisions } = plan([t]);
    expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "within-limit" });
    expect(decisions[0]!.reason).toBe(
      "running for 3h (counted from createTime, queue time included: the task gives no startTime), within maxRuntime 1d (job limit)",
    );
  });

  it.each(PLACEHOLDER_TIMES)("keeps a Running task with no startTime and createTime %j", (placeholder) => {
    const { decisions } = plan([task({ startTime: undefined, createTime: placeholder })]);
    expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "runtime-unknown" });
    expect(decisions[0]!.action).toBeUndefined();
    expect(decisions[0]!.reason).toBe(
      `runtime unknown: no startTime, createTime '${placeholder}' is a placeholder`,
    );
  });

  it.each(PLACEHOLDER_TIMES)(
    "keeps a Running task whose start and creation times are both %j",
    (placeholder) => {
      const { decisions } = plan([task({ startTime: placeholder, createTime: placeholder })]);
      expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "runtime-unknown" });
      expect(decisions[0]!.reason).toBe(
        `runtime unknown: startTime '${placeholder}' is a placeholder, createTime '${placeholder}' is a placeholder`,
      );
    },
  );

  it.each(PLACEHOLDER_TIMES)("keeps a Queuing task whose createTime is %j", (placeholder) => {
    const { decisions } = plan([
      task({ runStatus: "Queuing", startTime: undefined, createTime: placeholder }),
    ]);
    expect(decisions[0]).toMatchObject({ verdict: "keep", rule: "queued-time-unknown" });
    expect(decisions[0]!.reason).toBe(`time in queue unknown: createTime '${placeholder}' is a placeholder`);
  });

  it("stops only tasks measured from a real time past their limit", () => {
    const time = fc.oneof(fc.integer({ min: 0, max: 72 * H }).map(ago), placeholderTime);
    const taskArb = fc.record({
      taskId: fc.stringMatching(/^infer-[a-z0-9]{1,6}$/),
      name: fc.constantFrom("nightly-a", "adhoc"),
      modelId: fc.constant("am-ernie-speed-8k"),
      runStatus: fc.constantFrom("Running" as const, "Queuing" as const),
      createTime: time,
      startTime: fc.option(time, { nil: undefined }),
    });
    let stops = 0;
    fc.assert(
      fc.property(fc.uniqueArray(taskArb, { selector: (t) => t.taskId, maxLength: 20 }), (tasks) => {
        const { decisions } = plan(tasks, { policy: { maxRuntimeMs: 12 * H, maxQueuedMs: 6 * H } });
        for (const d of decisions.filter((x) => x.verdict === "act")) {
          stops += 1;
          const t = tasks.find((x) => x.taskId === d.resourceId)!;
          const real = (v: string | undefined) => (v === undefined ? undefined : parsePlatformTime(v));
          const from =
            t.runStatus === "Running" ? (real(t.startTime) ?? real(t.createTime)) : real(t.createTime);
          expect(from).toBeDefined();
          expect(NOW.getTime() - from!.getTime()).toBeGreaterThan(t.runStatus === "Running" ? 12 * H : 6 * H);
        }
      }),
      { numRuns: 300 },
    );
    expect(stops).toBeGreaterThan(20);
  });
});

describe("planTaskStops over random tasks", () => {
  const time = fc.integer({ min: 0, max: 72 * H }).map(ago);
  const taskArb: fc.Arbitrary<BatchTask> = fc.record({
    taskId: fc.stringMatching(/^infer-[a-z0-9]{1,6}$/),
    name: fc.constantFrom("nightly-a", "eval-b", "training-c", "adhoc"),
    modelId: fc.constantFrom("am-ernie-speed-8k", "am-ernie-lite-8k"),
    runStatus: fc.constantFrom(...TASK_RUN_STATUSES),
    createTime: time,
    startTime: fc.option(time, { nil: undefined }),
  });
  const scenario = fc.record({
    tasks: fc.uniqueArray(taskArb, { selector: (t) => t.taskId, maxLength: 30 }),
    maxRuntimeMs: fc.integer({ min: H, max: 48 * H }),
    maxQueuedMs: fc.option(fc.integer({ min: H, max: 24 * H }), { nil: undefined }),
    evalLimit: fc.integer({ min: H, max: 24 * H }),
    snoozed: fc.subarray(["nightly-a", "adhoc"]),
  });

  it("never stops a task under its limit, a protected one, a snoozed one, or one not active", () => {
    let stops = 0;
    fc.assert(
      fc.property(scenario, (s) => {
        const snoozedIds = Object.fromEntries(
          s.tasks.filter((t) => s.snoozed.includes(t.name)).map((t) => [t.taskId, ago(-H)]),
        );
        const pol = policy({
          maxRuntimeMs: s.maxRuntimeMs,
          maxQueuedMs: s.maxQueuedMs,
          limits: [{ name: "eval-*", maxRuntime: s.evalLimit }],
        });
        const { decisions } = planTaskStops(
          s.tasks,
          {
            policy: pol,
            marks: new Map(),
            snoozedUntil: new Map(Object.entries(snoozedIds)),
            protectedBy: (t) => (t.name.startsWith("training-") ? "training" : undefined),
          },
          NOW,
        );
        expect(decisions).toHaveLength(s.tasks.length);
        for (const d of decisions.filter((x) => x.verdict === "act")) {
          stops += 1;
          const t = s.tasks.find((x) => x.taskId === d.resourceId)!;
          expect(["Running", "Queuing"]).toContain(t.runStatus);
          expect(t.name.startsWith("training-")).toBe(false);
          expect(snoozedIds[t.taskId]).toBeUndefined();
          const limits = limitsFor(t, pol);
          if (t.runStatus === "Running") {
            expect(NOW.getTime() - taskStartTime(t)!.at.getTime()).toBeGreaterThan(limits.maxRuntimeMs);
          } else {
            expect(limits.maxQueuedMs).toBeDefined();
            expect(NOW.getTime() - Date.parse(t.createTime)).toBeGreaterThan(limits.maxQueuedMs!);
          }
        }
      }),
      { numRuns: 400 },
    );
    expect(stops).toBeGreaterThan(50);
  });
});
