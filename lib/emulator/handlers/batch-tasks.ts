import { z } from "zod";
import { TASK_RUN_STATUSES } from "../../qianfan/actions";
import { invalidParameter } from "../errors";
import type { TaskRecord } from "../state";
import { defineHandler, formatTime, Id, PagingFields, pageOf } from "./request";

/** A batch inference task as DescribeBatchInferenceTask(s) answers it. */
export function viewTask(k: TaskRecord): Record<string, unknown> {
  return {
    taskId: k.taskId,
    name: k.name,
    description: k.description,
    endpoint: k.endpoint ?? `/ep-${k.modelId}`,
    modelId: k.modelId,
    runStatus: k.runStatus,
    createTime: formatTime(k.createTime),
    ...(k.startTime ? { startTime: formatTime(k.startTime) } : {}),
    ...(k.finishTime ? { finishTime: formatTime(k.finishTime) } : {}),
    inputBosUri: k.inputBosUri,
    outputBosUri: k.outputBosUri,
  };
}

const TaskRequest = z.looseObject({ taskId: Id });

/** DescribeBatchInferenceTasks, DescribeBatchInferenceTask, StopBatchInferenceTask (seed 004). */
export const batchTaskHandlers = {
  DescribeBatchInferenceTasks: defineHandler(
    z.looseObject({ ...PagingFields, runStatus: z.array(z.enum(TASK_RUN_STATUSES)).optional() }),
    (state, body) => {
      const matches = (k: TaskRecord) => !body.runStatus || body.runStatus.includes(k.runStatus);
      const { list, pageInfo } = pageOf(
        state.tasks,
        matches,
        (k) => k.taskId,
        body,
        (id) => state.positionOf("task", id),
      );
      return { taskList: list.map(viewTask), pageInfo };
    },
  ),

  DescribeBatchInferenceTask: defineHandler(TaskRequest, (state, { taskId }) =>
    viewTask(state.findTask(taskId)),
  ),

  StopBatchInferenceTask: defineHandler(TaskRequest, (state, { taskId }) => {
    const task = state.findTask(taskId);
    if (task.runStatus !== "Running" && task.runStatus !== "Queuing") {
      throw invalidParameter(
        "taskId",
        `batch inference task ${taskId} is ${task.runStatus}; only a Running or Queuing task can be stopped`,
      );
    }
    task.runStatus = "Stopping";
    task.since = state.clock.now();
    state.scheduleTask(task);
    return true;
  }),
};
