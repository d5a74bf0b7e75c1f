import { effectiveProtections, taskProtection, unitProtection } from "../config/protection";
import type { HousekeepingConfig } from "../config/runtime";
import { describeFailure } from "../engine/runner";
import { formatReleaseTime, lastLookBeforeRelease, roomFor } from "../jobs";
import type { QianfanApi, TpmInstance } from "../qianfan";
import type { StateStore } from "../state";
import { JobMemory } from "../state/job-memory";
import { formatSpan } from "../text";

/** What a direct chat action came to, as the platform confirmed it. */
export interface DirectOutcome {
  status: "done" | "refused" | "dry-run" | "failed";
  message: string;
  requestId?: string;
}

export interface DirectDeps {
  config: HousekeepingConfig;
  api: QianfanApi;
  store: StateStore;
  now: Date;
  /** The stage's dry run: a direct action then says what it would do and does nothing. */
  dryRun: boolean;
}

const refused = (message: string): DirectOutcome => ({ status: "refused", message });
const DRY = "the stage runs dry, so nothing was changed";

/** A snooze in force on `id` refuses any direct change to it, as it stops the jobs. */
async function snoozedUntil(deps: DirectDeps, id: string): Promise<string | undefined> {
  return (await new JobMemory(deps.store).untilByResource(deps.now)).get(id);
}

/**
 * Releases one compute unit now, at an operator's word — through the same rules a scheduled
 * release passes: never a snoozed, protected, parked, prepaid, busy or used unit.
 */
export async function releaseUnitNow(deps: DirectDeps, unitId: string): Promise<DirectOutcome> {
  const snooze = await snoozedUntil(deps, unitId);
  if (snooze) return refused(`${unitId} is snoozed until ${snooze}; unsnooze it first`);
  const release = deps.config.jobs["release-units"];
  const parked = deps.config.jobs["scale-services"].services
    .filter((b) => b.instanceId === unitId)
    .map((b) => ({ instanceId: b.instanceId, reason: "parked by scale-services" }));
  let unit: Awaited<ReturnType<QianfanApi["describeComputeUnit"]>>["unit"];
  try {
    ({ unit } = await deps.api.describeComputeUnit(unitId));
  } catch (error) {
    return { status: "failed", message: describeFailure(error).message };
  }
  const protection = unitProtection([...effectiveProtections(release.protect), ...parked])(unit);
  if (protection) return refused(`${unitId} is protected: ${protection}`);
  const blocker = await lastLookBeforeRelease(deps.api, unitId);
  if (blocker) return refused(`${unitId} is not released: ${blocker}`);
  if (deps.dryRun) return { status: "dry-run", message: `would release ${unitId}; ${DRY}` };
  return act(() => deps.api.releaseComputeUnit(unitId), `released ${unitId}`);
}

/** Stops one batch task now: only a Running or Queuing one that is neither snoozed nor protected. */
export async function stopTaskNow(deps: DirectDeps, taskId: string): Promise<DirectOutcome> {
  const snooze = await snoozedUntil(deps, taskId);
  if (snooze) return refused(`${taskId} is snoozed until ${snooze}; unsnooze it first`);
  let task: Awaited<ReturnType<QianfanApi["describeBatchTask"]>>;
  try {
    task = await deps.api.describeBatchTask(taskId);
  } catch (error) {
    return { status: "failed", message: describeFailure(error).message };
  }
  if (task.runStatus !== "Running" && task.runStatus !== "Queuing") {
    return refused(`${taskId} is ${task.runStatus}; only a Running or Queuing task can be stopped`);
  }
  const protection = taskProtection(deps.config.jobs["stop-batch-tasks"].protect)(task);
  if (protection) return refused(`${taskId} is protected: ${protection}`);
  if (deps.dryRun) return { status: "dry-run", message: `would stop ${taskId} (${task.runStatus}); ${DRY}` };
  return act(() => deps.api.stopBatchTask(taskId), `stopped ${taskId}`);
}

/** Sets a service's replicas on one unit; a restore must fit in the unit's free compute units. */
export async function scaleNow(
  deps: DirectDeps,
  serviceId: string,
  unitId: string,
  replicas: number,
): Promise<DirectOutcome> {
  const snooze = await snoozedUntil(deps, serviceId);
  if (snooze) return refused(`${serviceId} is snoozed until ${snooze}; unsnooze it first`);
  let current: number;
  try {
    current = await deps.api.serviceReplicasOn(serviceId, unitId);
  } catch (error) {
    return { status: "failed", message: describeFailure(error).message };
  }
  if (current === replicas)
    return { status: "done", message: `${serviceId} already runs ${replicas} on ${unitId}` };
  if (replicas > current) {
    try {
      const { unit } = await deps.api.describeComputeUnit(unitId);
      const binding = deps.config.jobs["scale-services"].services.find(
        (b) => b.instanceId === unitId && b.serviceId === serviceId,
      );
      const room = roomFor(
        {
          type: "ScaleService",
          serviceId,
          instanceId: unitId,
          from: current,
          to: replicas,
          direction: "up",
          ...(binding?.computeUnitsPerReplica
            ? { computeUnitsPerReplica: binding.computeUnitsPerReplica }
            : {}),
        },
        unit.totalComputeUnits,
        unit.usedComputeUnits,
      );
      if (room) return refused(room);
    } catch (error) {
      return { status: "failed", message: `could not check ${unitId}: ${describeFailure(error).message}` };
    }
  }
  if (deps.dryRun) {
    return {
      status: "dry-run",
      message: `would scale ${serviceId} on ${unitId}: ${current} → ${replicas}; ${DRY}`,
    };
  }
  const outcome = await act(
    () => deps.api.scaleService(serviceId, unitId, replicas),
    `scaled ${serviceId} on ${unitId}: ${current} → ${replicas}`,
  );
  if (outcome.status !== "done") return outcome;
  const after = await deps.api.serviceReplicasOn(serviceId, unitId).catch(() => undefined);
  return after === replicas
    ? outcome
    : {
        ...outcome,
        status: "failed",
        message: `the platform accepted the scale but shows ${after ?? "unknown"} replicas`,
      };
}

/** Buys TPM quota that the platform releases at `until`: never without an end, never over budget. */
export async function buyTpmNow(
  deps: DirectDeps,
  model: string,
  count: number,
  until: Date,
): Promise<DirectOutcome> {
  const budget = deps.config.jobs["tpm-windows"].maxLivePurchaseCount;
  if (count > budget)
    return refused(`${count} is over the budget of ${budget} live at once (maxLivePurchaseCount)`);
  const span = until.getTime() - deps.now.getTime();
  if (span < 60_000) return refused(`--until must be at least a minute from now, got ${until.toISOString()}`);
  if (span > 7 * 86_400_000)
    return refused("--until must be within 7 days: quota bought from chat always ends");
  const releaseTime = formatReleaseTime(until, deps.config.timezone);
  if (deps.dryRun) {
    return {
      status: "dry-run",
      message: `would buy ${count} × ${model} until ${releaseTime} (${formatSpan(span)}); ${DRY}`,
    };
  }
  try {
    const bought = await deps.api.purchaseTpm({ model, purchaseCount: count, releaseTime });
    return {
      status: "done",
      message: `bought ${count} × ${model}: ${bought.instanceId}, released by the platform at ${releaseTime}`,
      requestId: bought.requestId,
    };
  } catch (error) {
    return { status: "failed", ...describeFailure(error) };
  }
}

/** Releases one TPM instance of a configured model, when its listing shows it readable and Running. */
export async function releaseTpmNow(deps: DirectDeps, instanceId: string): Promise<DirectOutcome> {
  const models = [...new Set(deps.config.jobs["tpm-windows"].windows.map((w) => w.model))];
  let found: { model: string; instance: TpmInstance } | undefined;
  try {
    for (const model of models) {
      const listing = await deps.api.describeTpmResourcesChecked(model, { instanceId });
      if (listing.invalid.some((i) => i.id === instanceId || i.id === undefined)) {
        return refused(`${instanceId}: its listing cannot be read, so it is not released`);
      }
      const instance = listing.items.find((i) => i.instanceId === instanceId);
      if (instance) found = { model, instance };
      if (found) break;
    }
  } catch (error) {
    return { status: "failed", message: describeFailure(error).message };
  }
  if (!found)
    return refused(
      `${instanceId} is not a TPM instance of a configured model (${models.join(", ") || "none"})`,
    );
  if (found.instance.paymentTiming !== "Postpaid")
    return refused(`${instanceId} is ${found.instance.paymentTiming}`);
  if (found.instance.status !== "Running") return refused(`${instanceId} is ${found.instance.status}`);
  if (deps.dryRun)
    return { status: "dry-run", message: `would release ${instanceId} (${found.model}); ${DRY}` };
  return act(() => deps.api.releaseTpm(found.model, instanceId), `released ${instanceId} (${found.model})`);
}

async function act(
  send: () => Promise<{ requestId: string | undefined; alreadyDone: boolean; observed?: string }>,
  done: string,
): Promise<DirectOutcome> {
  try {
    const outcome = await send();
    const already = outcome.alreadyDone ? ` (already done: ${outcome.observed})` : "";
    return { status: "done", message: `${done}${already}`, requestId: outcome.requestId };
  } catch (error) {
    return { status: "failed", ...describeFailure(error) };
  }
}
