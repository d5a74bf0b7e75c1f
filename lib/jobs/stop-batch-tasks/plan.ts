import { globMatcher } from "../../config/glob";
import { applyNotice, type NoticeMark } from "../../engine/notice";
import type { Decision } from "../../engine/types";
import { type BatchTask, isPlaceholderTime, parsePlatformTime } from "../../qianfan";
import { formatSpan, momentWriter } from "../../text";

/** A per-task limit (config `limits`): the first rule whose globs match applies. */
export interface TaskLimitRule {
  name?: string;
  model?: string;
  maxRuntime?: number;
  maxQueued?: number;
}

/** The stop-batch-tasks settings the planner applies. */
export interface StopBatchTasksPolicy {
  /** Running longer than this is an overrun. */
  maxRuntimeMs: number;
  /** Queuing longer than this is stuck; undefined: never. */
  maxQueuedMs?: number;
  limits: readonly TaskLimitRule[];
  noticeForMs?: number;
  timeZone: string;
}

export interface StopBatchTasksContext {
  policy: StopBatchTasksPolicy;
  /** Notices given, by task id. */
  marks: ReadonlyMap<string, NoticeMark>;
  snoozedUntil: ReadonlyMap<string, string>;
  protectedBy: (task: BatchTask) => string | undefined;
}

export interface StopTaskAction {
  type: "StopBatchInferenceTask";
  taskId: string;
}

export interface StopBatchTasksPlan {
  decisions: Decision<StopTaskAction>[];
  marks: Map<string, NoticeMark>;
}

/**
 * When a task started running, for its runtime: the task's `startTime` where the API gives one
 * (not a confirmed field), else its `createTime`. Measured from creation, the runtime includes the
 * time the task queued, so it reads longer than it was; the report then says "since creation".
 * A placeholder (`-`, `0000-00-00 00:00:00`) is no time: with neither, the runtime is unknown.
 */
export function taskStartTime(task: BatchTask): { at: Date; field: "startTime" | "createTime" } | undefined {
  const started = task.startTime ? parsePlatformTime(task.startTime) : undefined;
  if (started) return { at: started, field: "startTime" };
  const created = parsePlatformTime(task.createTime);
  return created ? { at: created, field: "createTime" } : undefined;
}

/** The limits that apply to a task: its first matching rule's, else the job's; each says where it came from. */
export function limitsFor(task: BatchTask, policy: StopBatchTasksPolicy): TaskLimits {
  const job: TaskLimits = {
    maxRuntimeMs: policy.maxRuntimeMs,
    maxQueuedMs: policy.maxQueuedMs,
    runtimeSource: "job limit",
    queuedSource: "job limit",
  };
  for (const rule of policy.limits) {
    const nameOk = rule.name === undefined || globMatcher(rule.name)(task.name);
    const modelOk =
      rule.model === undefined || (task.modelId !== undefined && globMatcher(rule.model)(task.modelId));
    if (!nameOk || !modelOk) continue;
    const what = [rule.name && `name '${rule.name}'`, rule.model && `model '${rule.model}'`]
      .filter(Boolean)
      .join(", ");
    return {
      maxRuntimeMs: rule.maxRuntime ?? job.maxRuntimeMs,
      maxQueuedMs: rule.maxQueued ?? job.maxQueuedMs,
      runtimeSource: rule.maxRuntime === undefined ? job.runtimeSource : `limit for ${what}`,
      queuedSource: rule.maxQueued === undefined ? job.queuedSource : `limit for ${what}`,
    };
  }
  return job;
}

export interface TaskLimits {
  maxRuntimeMs: number;
  maxQueuedMs?: number;
  runtimeSource: string;
  queuedSource: string;
}

/**
 * Decides, for every listed batch inference task, whether to stop it — a pure function of the
 * listing, the policy, the notices given and `now`. Only a Running task past its maxRuntime, or a
 * Queuing one past its maxQueued, that is neither protected nor snoozed, is stopped.
 */
export function planTaskStops(
  tasks: readonly BatchTask[],
  ctx: StopBatchTasksContext,
  now: Date,
): StopBatchTasksPlan {
  const decisions: Decision<StopTaskAction>[] = [];
  const marks = new Map<string, NoticeMark>();
  const at = momentWriter(now, ctx.policy.timeZone);
  for (const task of tasks) {
    const label = `${task.name} (${task.modelId ?? "model ?"})`;
    const keep = (rule: string, reason: string): Decision<StopTaskAction> => ({
      resourceId: task.taskId,
      label,
      verdict: "keep",
      rule,
      reason,
    });
    if (task.runStatus !== "Running" && task.runStatus !== "Queuing") {
      decisions.push(keep("not-running", `runStatus ${task.runStatus}`));
      continue;
    }
    const protection = ctx.protectedBy(task);
    if (protection) {
      decisions.push(keep("protected", `protected by ${protection}`));
      continue;
    }
    const snoozed = ctx.snoozedUntil.get(task.taskId);
    if (snoozed && Date.parse(snoozed) > now.getTime()) {
      decisions.push(keep("snoozed", `snoozed until ${at(new Date(snoozed))}`));
      continue;
    }
    const limits = limitsFor(task, ctx.policy);
    const verdict =
      task.runStatus === "Running" ? judgeRunning(task, limits, now) : judgeQueued(task, limits, now);
    if (!verdict.stop) {
      decisions.push(keep(verdict.rule, verdict.reason));
      continue;
    }
    const act: Decision<StopTaskAction> = {
      resourceId: task.taskId,
      label,
      verdict: "act",
      rule: verdict.rule,
      reason: verdict.reason,
      action: { type: "StopBatchInferenceTask", taskId: task.taskId },
    };
    if (ctx.policy.noticeForMs === undefined) {
      decisions.push(act);
      continue;
    }
    const { decision, notice } = applyNotice(
      act,
      ctx.marks.get(task.taskId) ?? {},
      ctx.policy.noticeForMs,
      now,
      at,
      "stopped",
    );
    decisions.push(decision);
    marks.set(task.taskId, notice);
  }
  return { decisions, marks };
}

type Judgement = { stop: boolean; rule: string; reason: string };

function judgeRunning(task: BatchTask, limits: TaskLimits, now: Date): Judgement {
  const start = taskStartTime(task);
  if (!start) {
    const given = [
      task.startTime === undefined ? "no startTime" : describeUnusable("startTime", task.startTime),
      describeUnusable("createTime", task.createTime),
    ];
    return { stop: false, rule: "runtime-unknown", reason: `runtime unknown: ${given.join(", ")}` };
  }
  const runtime = now.getTime() - start.at.getTime();
  const since =
    start.field === "startTime"
      ? ""
      : " (counted from createTime, queue time included: the task gives no startTime)";
  if (runtime > limits.maxRuntimeMs) {
    return {
      stop: true,
      rule: "overrun",
      reason: `running for ${formatSpan(runtime)}${since}, > maxRuntime ${formatSpan(limits.maxRuntimeMs)} (${limits.runtimeSource})`,
    };
  }
  return {
    stop: false,
    rule: "within-limit",
    reason: `running for ${formatSpan(Math.max(0, runtime))}${since}, within maxRuntime ${formatSpan(limits.maxRuntimeMs)} (${limits.runtimeSource})`,
  };
}

function judgeQueued(task: BatchTask, limits: TaskLimits, now: Date): Judgement {
  const created = parsePlatformTime(task.createTime);
  if (!created) {
    const reason = `time in queue unknown: ${describeUnusable("createTime", task.createTime)}`;
    return { stop: false, rule: "queued-time-unknown", reason };
  }
  const queued = now.getTime() - created.getTime();
  if (limits.maxQueuedMs === undefined) {
    return {
      stop: false,
      rule: "within-limit",
      reason: `queued for ${formatSpan(Math.max(0, queued))}; no maxQueued set`,
    };
  }
  if (queued > limits.maxQueuedMs) {
    return {
      stop: true,
      rule: "stuck-in-queue",
      reason: `queued for ${formatSpan(queued)}, > maxQueued ${formatSpan(limits.maxQueuedMs)} (${limits.queuedSource})`,
    };
  }
  return {
    stop: false,
    rule: "within-limit",
    reason: `queued for ${formatSpan(Math.max(0, queued))}, within maxQueued ${formatSpan(limits.maxQueuedMs)} (${limits.queuedSource})`,
  };
}

/** Why a time field cannot be measured from, in words. */
function describeUnusable(field: string, value: string): string {
  return `${field} '${value}' is ${isPlaceholderTime(value) ? "a placeholder" : "not a time"}`;
}
