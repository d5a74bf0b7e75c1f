import { DEFAULT_CONFIRM } from "../../engine/confirm";
import type { Inventory, Job, JobContext, Planned } from "../../engine/job";
import { type NoticeMark, withoutNewNotice } from "../../engine/notice";
import type { ActionResult } from "../../engine/types";
import type { BatchTask } from "../../qianfan";
import { STOP_BATCH_TASKS } from "../names";
import {
  planTaskStops,
  type StopBatchTasksContext,
  type StopBatchTasksPolicy,
  type StopTaskAction,
} from "./plan";

export { STOP_BATCH_TASKS };

export interface StopBatchTasksJobOptions {
  policy: StopBatchTasksPolicy;
  protectedBy: (task: BatchTask) => string | undefined;
  confirm?: { attempts: number; delayMs: number };
  sleep?: (ms: number) => Promise<void>;
}

const ACTIVE = ["Running", "Queuing"];
/** The statuses the confirmation lists: a stopped task is Stopping in it, or gone from it. */
const ACTIVE_OR_STOPPING = [...ACTIVE, "Stopping"];

/**
 * The stop-batch-tasks job: reads every page of Running and Queuing tasks, plans with
 * {@link planTaskStops}, and stops the chosen tasks in batches, each only when the plan made again
 * on a listing of a few seconds before still stops it (still Running or Queuing and over its
 * limit, unprotected, unsnoozed). A stop is confirmed by the listing of Running, Queuing and
 * Stopping tasks after the batch: Stopping there, or gone from it; still Running or Queuing is not
 * confirmed.
 */
export function stopBatchTasksJob(
  options: StopBatchTasksJobOptions,
): Job<BatchTask, StopBatchTasksContext, StopTaskAction> {
  const list = async (ctx: JobContext, runStatus: string[]): Promise<Inventory<BatchTask>> => {
    const listing = await ctx.api.describeBatchTasksChecked({ runStatus });
    return {
      items: listing.items,
      invalid: listing.invalid,
      fleetSize: listing.items.length + listing.invalid.length,
    };
  };
  return {
    name: STOP_BATCH_TASKS,
    touches: ["tasks"],

    readInventory: (ctx) => list(ctx, ACTIVE),

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

    listed: {
      what: "stop",
      idOf: (task) => task.taskId,
      readAfter: (ctx) => list(ctx, ACTIVE_OR_STOPPING),
      send: (ctx, decision) => ctx.api.stopBatchTask(decision.action!.taskId),
      shows: (task, outcome) => {
        if (!task)
          return { done: true, observed: outcome.observed ?? "no longer Running, Queuing or Stopping" };
        return { done: !ACTIVE.includes(task.runStatus), observed: `runStatus ${task.runStatus}` };
      },
      confirm: { ...(options.confirm ?? DEFAULT_CONFIRM), sleep: options.sleep },
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
