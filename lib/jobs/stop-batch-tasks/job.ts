import { confirmAction, DEFAULT_CONFIRM } from "../../engine/confirm";
import type { Inventory, Job, JobContext, Planned } from "../../engine/job";
import { type NoticeMark, withoutNewNotice } from "../../engine/notice";
import { describeFailure } from "../../engine/runner";
import type { ActionResult, Decision } from "../../engine/types";
import type { BatchTask } from "../../qianfan";
import {
  planTaskStops,
  type StopBatchTasksContext,
  type StopBatchTasksPolicy,
  type StopTaskAction,
} from "./plan";

export const STOP_BATCH_TASKS = "stop-batch-tasks";

export interface StopBatchTasksJobOptions {
  policy: StopBatchTasksPolicy;
  protectedBy: (task: BatchTask) => string | undefined;
  confirm?: { attempts: number; delayMs: number };
  sleep?: (ms: number) => Promise<void>;
}

const ACTIVE = new Set(["Running", "Queuing"]);
const STOPPED = new Set(["Stopping", "Stopped"]);

/**
 * The stop-batch-tasks job: reads every page of Running and Queuing tasks, plans with
 * {@link planTaskStops}, and stops each chosen task after a last look shows it still active.
 */
export function stopBatchTasksJob(
  options: StopBatchTasksJobOptions,
): Job<BatchTask, StopBatchTasksContext, StopTaskAction> {
  const confirm = options.confirm ?? DEFAULT_CONFIRM;
  return {
    name: STOP_BATCH_TASKS,

    async readInventory(ctx: JobContext): Promise<Inventory<BatchTask>> {
      const listing = await ctx.api.describeBatchTasksChecked({ runStatus: ["Running", "Queuing"] });
      return {
        items: listing.items,
        invalid: listing.invalid,
        fleetSize: listing.items.length + listing.invalid.length,
      };
    },

    async loadContext(ctx: JobContext): Promise<StopBatchTasksContext> {
      const [marks, snoozedUntil] = await Promise.all([
        ctx.memory.getMarks<NoticeMark>(STOP_BATCH_TASKS),
        ctx.memory.untilByResource(ctx.now),
      ]);
      return {
        policy: options.policy,
        marks,
        snoozedUntil,
        protectedBy: options.protectedBy,
      };
    },

    plan(inventory: Inventory<BatchTask>, context: StopBatchTasksContext, now: Date) {
      const { decisions, marks } = planTaskStops(inventory.items, context, now);
      return { decisions, memory: marks };
    },

    async execute(ctx: JobContext, decision: Decision<StopTaskAction>): Promise<ActionResult> {
      const taskId = decision.action!.taskId;
      let before: BatchTask;
      try {
        before = await ctx.api.describeBatchTask(taskId);
      } catch (error) {
        return {
          status: "skipped",
          message: `could not look at the task before stopping it: ${describeFailure(error).message}`,
        };
      }
      if (!ACTIVE.has(before.runStatus))
        return { status: "skipped", message: `the task now shows ${before.runStatus}` };
      let outcome: Awaited<ReturnType<JobContext["api"]["stopBatchTask"]>>;
      try {
        outcome = await ctx.api.stopBatchTask(taskId);
      } catch (error) {
        return { status: "failed", ...describeFailure(error) };
      }
      return confirmAction(
        outcome,
        async () => {
          const task = await ctx.api.describeBatchTask(taskId);
          const stopped = STOPPED.has(task.runStatus) || (outcome.alreadyDone && !ACTIVE.has(task.runStatus));
          return { done: stopped, observed: `runStatus ${task.runStatus}` };
        },
        "stop",
        { ...confirm, sleep: options.sleep },
      );
    },

    async remember(
      ctx: JobContext,
      planned: Planned<StopTaskAction>,
      results: Map<string, ActionResult>,
    ): Promise<void> {
      const marks = new Map(planned.memory as Map<string, NoticeMark>);
      for (const [id, result] of results) if (result.status === "done") marks.delete(id);
      if (ctx.dryRun) {
        const previous = await ctx.memory.getMarks<NoticeMark>(STOP_BATCH_TASKS);
        for (const [id, mark] of marks) {
          const kept = withoutNewNotice(mark, previous.get(id));
          if (kept.noticeDueAt) marks.set(id, kept);
          else marks.delete(id);
        }
      }
      await ctx.memory.replaceMarks(STOP_BATCH_TASKS, marks);
    },
  };
}
