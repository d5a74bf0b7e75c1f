import { randomUUID } from "node:crypto";
import type { HousekeepingConfig } from "../config/runtime";
import type { Clock } from "../engine/clock";
import { describeFailure } from "../engine/failure";
import type { RunReport } from "../engine/types";
import type { QianfanApi } from "../qianfan";
import type { StateStore } from "../state";
import { JobMemory } from "../state/job-memory";
import { authorize, roleOf } from "./access";
import { type ChatCommand, commandText, HELP_TEXT, needsConfirmation, parseCommand } from "./commands";
import { consumeConfirmation, createConfirmation } from "./confirm";
import type { DirectDeps, DirectOutcome } from "./direct";
import type { ChatMessage } from "./outbound/message";
import type { ReplyTarget } from "./types";
import type { ChatJob } from "./webhook";

/**
 * The direct actions, and below the runs, load with the first command that needs them (chunks
 * beside the function): the jobs, their planners and globs are no part of the worker's cold start,
 * and help, snoozes, history or a refused request never load them.
 */
const loadDirect = () => import("./direct");

export interface WorkerDeps {
  config: HousekeepingConfig;
  api: QianfanApi;
  store: StateStore;
  clock: Clock;
  /** The stage's dry run (QFHK_DRY_RUN), over the config's: a ceiling no command lifts. */
  stageDryRun?: boolean;
  /** Where Qianfan calls go, for run reports. */
  target: string;
  reply: (target: ReplyTarget, message: ChatMessage) => Promise<void>;
}

/** What one chat job came to: the reply sent and the outcome recorded in the audit trail. */
export interface ChatJobResult {
  outcome: "done" | "refused" | "failed" | "planned" | "duplicate";
  message: ChatMessage;
}

const MAX_LINES = 12;
const WORK_TTL_MS = 24 * 3_600_000;
const DEFAULT_CONFIRMATION_TTL_MS = 5 * 60_000;

/**
 * Runs one chat request in the worker: it trusts only what the webhook verified (platform, user,
 * room, text), checks the sender's role against the config again, asks for a confirmation before a
 * destructive command, runs the command through the same rules and guards as a scheduled run,
 * replies, and records the command in the audit trail. A redelivered job runs once.
 */
export async function runChatJob(job: ChatJob, deps: WorkerDeps): Promise<ChatJobResult> {
  const now = deps.clock();
  // A fresh owner each time: a lock's owner may take it again, and a redelivered job must not.
  const first = await deps.store.acquireLock(
    `chat-work:${job.platform}:${job.eventId}`,
    `work:${randomUUID()}`,
    WORK_TTL_MS,
    now,
  );
  if (!first.acquired) return { outcome: "duplicate", message: { title: "Already handled", lines: [] } };

  const finish = async (result: ChatJobResult, command: string, requestIds: string[] = []) => {
    // What was done is said even when the audit trail cannot take it, and that it is missing there.
    let answered = result;
    try {
      await record(deps, job, command, result, requestIds);
    } catch (error) {
      const line = `Not in the audit trail: the state store refused the record (${describeFailure(error).message})`;
      answered = { ...result, message: { ...result.message, lines: [...result.message.lines, line] } };
    }
    await deps.reply(job.replyTo, answered.message).catch(() => {});
    return answered;
  };
  const shown =
    job.request.kind === "command"
      ? job.request.text
      : `(confirmation ${job.request.confirmationId.slice(0, 8)}…)`;
  // A store that fails while a confirmation is made or used still gets the user an answer: the work
  // lock is taken, so a redelivery would run nothing and say nothing.
  try {
    return await handleChatRequest(job, deps, now, finish, shown);
  } catch (error) {
    return finish(
      { outcome: "failed", message: { title: `Failed: ${shown}`, lines: [describeFailure(error).message] } },
      shown,
    );
  }
}

/** The request itself, once it is known to run once: role, confirmation, the command. */
async function handleChatRequest(
  job: ChatJob,
  deps: WorkerDeps,
  now: Date,
  finish: (result: ChatJobResult, command: string, requestIds?: string[]) => Promise<ChatJobResult>,
  shown: string,
): Promise<ChatJobResult> {
  const chat = deps.config.chat;
  const role = chat ? roleOf(chat, job.sender) : undefined;
  if (!role) {
    return finish(
      refusal("You may not use qfhk here.", "Ask an operator to add your user id to the config."),
      shown,
    );
  }

  let command: ChatCommand;
  let confirmed = false;
  if (job.request.kind === "confirm") {
    const used = await consumeConfirmation(deps.store, {
      idOrCode: job.request.confirmationId,
      sender: job.sender,
      now,
    });
    if (!used.ok) return finish(refusal(used.message), shown);
    command = used.command;
    confirmed = true;
  } else {
    const parsed = parseCommand(job.request.text);
    if (!parsed.ok) return finish(refusal(parsed.message), shown);
    command = parsed.command;
    if (command.verb === "confirm") {
      const used = await consumeConfirmation(deps.store, { idOrCode: command.code, sender: job.sender, now });
      if (!used.ok) return finish(refusal(used.message), shown);
      command = used.command;
      confirmed = true;
    }
  }
  const text = commandText(command);
  const allowed = authorize(command, role);
  if (!allowed.ok) return finish(refusal(allowed.message), text);

  if (needsConfirmation(command) && !confirmed) {
    const ttlMs = chat?.confirmationTtl ?? DEFAULT_CONFIRMATION_TTL_MS;
    const confirmation = await createConfirmation(deps.store, { sender: job.sender, command, now, ttlMs });
    return finish(
      {
        outcome: "planned",
        message: {
          title: `Confirm: ${text}`,
          lines: [
            `This changes the fleet. Confirm within ${Math.round(ttlMs / 60_000)} min; only you can, once.`,
          ],
          confirm: {
            id: confirmation.id,
            code: confirmation.code,
            label: "Confirm",
            expiresAt: confirmation.expiresAt,
          },
        },
      },
      text,
    );
  }

  try {
    const { result, requestIds } = await execute(command, deps, now);
    return finish(result, text, requestIds);
  } catch (error) {
    return finish(
      { outcome: "failed", message: { title: `Failed: ${text}`, lines: [describeFailure(error).message] } },
      text,
    );
  }
}

function refusal(reason: string, hint?: string): ChatJobResult {
  return { outcome: "refused", message: { title: reason, lines: hint ? [hint] : [] } };
}

/** Whether the stage allows acting at all: its dry run (else the config's; dry when neither says). */
function stageIsDry(deps: WorkerDeps): boolean {
  return deps.stageDryRun ?? deps.config.dryRun ?? true;
}

async function execute(
  command: ChatCommand,
  deps: WorkerDeps,
  now: Date,
): Promise<{ result: ChatJobResult; requestIds: string[] }> {
  const done = (title: string, lines: string[] = []): { result: ChatJobResult; requestIds: string[] } => ({
    result: { outcome: "done", message: { title, lines } },
    requestIds: [],
  });
  const direct: DirectDeps = {
    config: deps.config,
    api: deps.api,
    store: deps.store,
    now,
    dryRun: stageIsDry(deps),
  };
  const memory = new JobMemory(deps.store);
  switch (command.verb) {
    case "help":
      return done("qfhk commands", HELP_TEXT.split("\n"));
    case "status":
    case "plan": {
      const job = command.verb === "plan" ? command.job : "all";
      const report = await housekeeping(deps, job, now, { readOnly: true, dryRun: true });
      return {
        result: summarise(report, command.verb === "status" ? "Status" : `Plan for ${job}`),
        requestIds: [],
      };
    }
    case "run": {
      const dryRun = stageIsDry(deps) || !command.apply;
      const report = await housekeeping(deps, command.job, now, { dryRun });
      const note = command.apply && stageIsDry(deps) ? " (the stage runs dry: nothing was changed)" : "";
      return {
        result: summarise(report, `Ran ${command.job}${dryRun ? " (dry run)" : ""}${note}`),
        requestIds: requestIdsOf(report),
      };
    }
    case "release":
      return fromDirect(await (await loadDirect()).releaseUnitNow(direct, command.unitId));
    case "stop":
      return fromDirect(await (await loadDirect()).stopTaskNow(direct, command.taskId));
    case "scale":
      return fromDirect(
        await (await loadDirect()).scaleNow(direct, command.serviceId, command.unitId, command.replicas),
      );
    case "tpm-buy":
      return fromDirect(
        await (await loadDirect()).buyTpmNow(
          direct,
          command.model,
          command.count,
          new Date(command.until ?? now.getTime() + 3_600_000),
        ),
      );
    case "tpm-release":
      return fromDirect(await (await loadDirect()).releaseTpmNow(direct, command.instanceId));
    case "up": {
      const until = new Date(now.getTime() + command.forMs);
      await memory.putSnooze({
        resourceId: command.serviceId,
        until: until.toISOString(),
        kind: "force-up",
        by: "chat",
      });
      return done(`${command.serviceId} is kept up until ${until.toISOString()}`, [
        "The next scale-services run brings it up if it is down.",
      ]);
    }
    case "snooze": {
      const until = new Date(now.getTime() + command.durationMs);
      await memory.putSnooze({
        resourceId: command.id,
        until: until.toISOString(),
        kind: "snooze",
        by: "chat",
      });
      return done(`${command.id} snoozed until ${until.toISOString()}`, ["No job touches it before then."]);
    }
    case "unsnooze": {
      const had = await memory.deleteSnooze(command.id);
      return done(had ? `${command.id} is no longer snoozed` : `${command.id} was not snoozed`);
    }
    case "snoozes": {
      const snoozes = await memory.listSnoozes(now);
      return done(
        snoozes.length === 0 ? "No snoozes or force-ups in force" : `${snoozes.length} snooze(s) in force`,
        capped(
          snoozes.map(
            (s) =>
              `${s.resourceId}: ${s.kind ?? "snooze"} until ${s.until}${s.reason ? ` (${s.reason})` : ""}`,
          ),
        ),
      );
    }
    case "history": {
      const records = await deps.store.listAudit({ limit: command.limit });
      return done(
        records.length === 0 ? "Nothing recorded yet" : `Last ${records.length} record(s)`,
        capped(
          records.map(
            (r) =>
              `${r.at} ${r.job} ${r.action} ${r.resourceId}: ${r.outcome}${r.dryRun ? " (dry run)" : ""}`,
          ),
        ),
      );
    }
    case "confirm":
      return { result: refusal("That confirmation was already used."), requestIds: [] };
  }
}

function fromDirect(outcome: DirectOutcome): { result: ChatJobResult; requestIds: string[] } {
  const status = outcome.status === "dry-run" ? "done" : outcome.status;
  // A refusal or failure keeps its whole reason in the lines: a title is cut short on a phone.
  const title = status === "done" ? outcome.message : status === "refused" ? "Refused" : "Failed";
  const lines = [
    ...(status === "done" ? [] : [outcome.message]),
    ...(outcome.requestId ? [`requestId ${outcome.requestId}`] : []),
  ];
  return {
    result: { outcome: status, message: { title, lines } },
    requestIds: outcome.requestId ? [outcome.requestId] : [],
  };
}

async function housekeeping(
  deps: WorkerDeps,
  job: string,
  now: Date,
  options: { dryRun: boolean; readOnly?: boolean },
): Promise<RunReport> {
  const { runHousekeeping } = await import("../app/housekeeping");
  return runHousekeeping({
    config: deps.config,
    api: deps.api,
    store: deps.store,
    job,
    dryRun: options.dryRun,
    readOnly: options.readOnly,
    now,
    target: deps.target,
    clock: deps.clock,
  });
}

/** A run report in a few lines: per job what it would do or did, the actions first. */
function summarise(report: RunReport, title: string): ChatJobResult {
  const lines: string[] = [];
  for (const job of report.jobs) {
    const acts = job.decisions.filter((d) => d.verdict === "act");
    const t = job.totals;
    const head = job.stoppedBy
      ? `${job.job}: stopped by ${job.stoppedBy.guard}: ${job.stoppedBy.message}`
      : job.error
        ? `${job.job}: failed: ${job.error.message}`
        : `${job.job}: ${t.resources} resource(s), ${t.planned} to act on${t.done ? `, ${t.done} done` : ""}${t.failed ? `, ${t.failed} failed` : ""}`;
    lines.push(head);
    for (const d of acts.slice(0, 3)) {
      const outcome = d.outcome
        ? ` → ${d.outcome.status}${d.outcome.message ? `: ${d.outcome.message}` : ""}`
        : "";
      lines.push(`  ${d.rule} ${d.label ?? d.resourceId}: ${d.reason}${outcome}`);
    }
    if (acts.length > 3) lines.push(`  … ${acts.length - 3} more`);
  }
  const failed = report.jobs.some((j) => j.status === "failed" || j.totals.failed > 0);
  return {
    outcome: failed ? "failed" : "done",
    message: { title, lines: capped(lines), more: "`history` shows every action" },
  };
}

function requestIdsOf(report: RunReport): string[] {
  return report.jobs.flatMap((j) =>
    j.decisions.map((d) => d.outcome?.requestId).filter((id): id is string => !!id),
  );
}

function capped(lines: string[]): string[] {
  return lines.length <= MAX_LINES
    ? lines
    : [...lines.slice(0, MAX_LINES), `… ${lines.length - MAX_LINES} more`];
}

/** Every chat command goes to the audit trail: platform, room, user, command, outcome, requestIds. */
async function record(
  deps: WorkerDeps,
  job: ChatJob,
  command: string,
  result: ChatJobResult,
  requestIds: string[],
): Promise<void> {
  const outcome =
    result.outcome === "refused" ? "skipped" : result.outcome === "duplicate" ? "skipped" : result.outcome;
  await deps.store.appendAudit({
    at: deps.clock().toISOString(),
    runId: `chat:${job.platform}:${job.eventId}`,
    job: "chat",
    action: command.split(" ")[0] ?? "chat",
    resourceId: command.split(" ")[1] ?? "-",
    reason: result.message.title,
    outcome,
    dryRun: stageIsDry(deps),
    detail: `${job.platform} room ${job.sender.roomId ?? "-"} user ${job.sender.userId}: ${command}`,
    platform: job.platform,
    room: job.sender.roomId,
    user: job.sender.userId,
    command,
    chatOutcome: result.outcome,
    ...(requestIds.length > 0 ? { requestId: requestIds[0], requestIds } : {}),
  });
}
