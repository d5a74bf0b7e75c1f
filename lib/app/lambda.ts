import { TpmModelId } from "../config/runtime";
import type { DoctorReport } from "../doctor";
import { DOCTOR_DEFAULT_MODEL, ResponseDates } from "../doctor/inputs";
import { parseInstant } from "../engine/clock";
import type { RunReport } from "../engine/types";
import { checkResourceId } from "../state/resource-id";
import * as z from "../validation";
import type { JobHandlerDeps } from "./job-deps";
import { logRunReport, publishRunMetrics } from "./observability";
import { fitAnswer } from "./response-size";
import { runSelectedJobs } from "./run-jobs";

export { buildJobHandlerDeps, type JobHandlerDeps } from "./job-deps";

/** An EventBridge scheduled event (only the fields used; the rest pass). */
const ScheduledEvent = z.looseObject({
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
});

const RunParameters = {
  dryRun: z.optional(z.boolean()),
  only: z.optional(
    z
      .array(
        z.string().check(
          z.superRefine((id, ctx) => {
            const check = checkResourceId(id);
            if (!check.ok) ctx.addIssue({ code: "custom", message: check.problem });
          }),
        ),
      )
      .check(z.minLength(1), z.maxLength(1000)),
  ),
  now: z.optional(
    z.string().check(
      z.refine((text) => parseInstant(text) !== undefined, {
        message: "expected a real ISO time with a zone, such as 2026-11-23T14:00:00+08:00",
      }),
    ),
  ),
};

/** A run as of another moment only looks: `now` comes with `dryRun: true` or not at all. */
const nowNeedsDryRun = z.refine<{ now?: string; dryRun?: boolean }>(
  (event) => event.now === undefined || event.dryRun === true,
  {
    message: "'now' (evaluate as of another moment) needs \"dryRun\": true: such a run never acts",
    path: ["now"],
  },
);

/** A manual invocation from the console or `serverless invoke`: every key is checked. */
export const ManualEvent = z.strictObject(RunParameters).check(nowNeedsDryRun);

/** A job request handed over by the chat-ops worker. */
export const ChatOpsEvent = z
  .strictObject({
    source: z.literal("qfhk.chatops"),
    requestId: z.string().check(z.minLength(1), z.maxLength(200)),
    requestedBy: z.string().check(z.minLength(1), z.maxLength(200)),
    ...RunParameters,
  })
  .check(nowNeedsDryRun);

/**
 * `{"doctor": true}` (events/doctor.json): checks the account the stage's keys open, changes
 * nothing, and returns what held; `models` overrides the config's TPM models to look up.
 */
export const DoctorEvent = z.strictObject({
  doctor: z.literal(true),
  models: z.optional(z.array(TpmModelId).check(z.minLength(1), z.maxLength(20))),
});

/** The doctor request in an event, or undefined when the event is not one; throws when it is malformed. */
export function parseDoctorEvent(event: unknown): z.infer<typeof DoctorEvent> | undefined {
  if (event === null || typeof event !== "object" || !Object.hasOwn(event, "doctor")) return undefined;
  const parsed = DoctorEvent.safeParse(event);
  if (parsed.success) return parsed.data;
  throw new EventError(`invalid doctor request: ${describeIssues(parsed.error, "doctor, models")}`);
}

export type JobEvent =
  | { kind: "scheduled" }
  | ({ kind: "manual" } & z.infer<typeof ManualEvent>)
  | ({ kind: "chatops" } & z.infer<typeof ChatOpsEvent>);

/** An invocation event that cannot be used: says which key and why; nothing was done. */
export class EventError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "EventError";
  override name = "EventError";
}

function describeIssues(error: z.core.$ZodError, allowed: string): string {
  return error.issues
    .map((issue) =>
      issue.code === "unrecognized_keys"
        ? `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(", ")}; allowed: ${allowed}`
        : `${issue.path.map(String).join(".")}: ${issue.message}`,
    )
    .join("; ");
}

/** Tells a scheduled, a manual and a chat-ops event apart and validates it. */
export function parseJobEvent(event: unknown): JobEvent {
  // A payload that is not JSON reaches the handler as a string (`serverless invoke --data`).
  if (event !== null && event !== undefined && (typeof event !== "object" || Array.isArray(event))) {
    throw new EventError(
      `invalid event: the event must be a JSON object such as {"dryRun": true}, got ${Array.isArray(event) ? "an array" : `a ${typeof event}`}`,
    );
  }
  if (ScheduledEvent.safeParse(event).success) return { kind: "scheduled" };
  const record = (event ?? {}) as Record<string, unknown>;
  if (record.source === "qfhk.chatops") {
    const parsed = ChatOpsEvent.safeParse(event);
    if (parsed.success) return { kind: "chatops", ...parsed.data };
    throw new EventError(
      `invalid chat-ops job request: ${describeIssues(parsed.error, "source, requestId, requestedBy, dryRun, only, now")}`,
    );
  }
  const manual = ManualEvent.safeParse(event ?? {});
  if (manual.success) return { kind: "manual", ...manual.data };
  throw new EventError(`invalid event: ${describeIssues(manual.error, "dryRun, only, now")}`);
}

/**
 * Whether a run is dry: the stage's setting (else the config's; dry when neither says) is a
 * ceiling — an event may make a run drier, never wetter.
 */
export function effectiveDryRun(configured: boolean, event: JobEvent): boolean {
  return configured || (event.kind !== "scheduled" && event.dryRun === true);
}

/** The log keys one invocation adds: removed when it ends, so none leaks into the next. */
const RUN_LOG_KEYS = ["job", "trigger", "requestedBy", "chatRequestId", "correlation_id", "dryRun"];

/**
 * Runs one job for a Lambda invocation and returns its report, so the console shows what
 * happened. Scheduled runs follow the stage's (else the config's) dryRun, dry when neither says;
 * a manual or chat-ops event may make the run dry, act on a subset of resources, or — dry only —
 * evaluate as of another moment (a what-if, which records nothing).
 */
export async function handleJobEvent(
  job: string,
  event: unknown,
  deps: JobHandlerDeps,
  remainingMs?: () => number,
  clock: () => Date = () => new Date(),
): Promise<RunReport> {
  const parsed = parseJobEvent(event);
  const dryRun = effectiveDryRun(deps.stageDryRun ?? deps.loaded.config.dryRun ?? true, parsed);
  deps.logger?.appendKeys({
    job,
    trigger: parsed.kind,
    ...(parsed.kind === "chatops"
      ? { requestedBy: parsed.requestedBy, chatRequestId: parsed.requestId }
      : {}),
  });
  try {
    const report = await runSelectedJobs(deps.jobs, {
      config: deps.loaded.config,
      api: deps.api,
      store: deps.store,
      job,
      dryRun,
      now: parsed.kind !== "scheduled" && parsed.now ? parseInstant(parsed.now)! : clock(),
      target: deps.target,
      only: parsed.kind !== "scheduled" ? parsed.only : undefined,
      remainingMs,
      clock,
    });
    if (deps.logger) logRunReport(report, deps.logger);
    if (deps.metrics) publishRunMetrics(report, deps.metrics);
    if (deps.notify) await deps.notify(report);
    return fitAnswer(report, deps.maxAnswerBytes);
  } finally {
    deps.logger?.removeKeys(RUN_LOG_KEYS);
  }
}

/**
 * A doctor run from a Lambda: the same checks as `qfhk doctor`, with the stage's keys and config.
 * The checks are loaded on the first doctor event (their own chunk in the function's zip): a
 * scheduled run never loads them.
 */
export async function handleDoctorEvent(
  event: { models?: string[] },
  deps: JobHandlerDeps,
  clock: () => Date,
): Promise<DoctorReport> {
  const { runDoctor } = await import("../doctor/checks");
  const configured = deps.loaded.config.jobs["tpm-windows"].windows.map((w) => w.model);
  const report = await runDoctor({
    api: deps.api,
    target: deps.target,
    emulated: false,
    accessKeyId: await deps.api.client.accessKeyId().catch(() => undefined),
    models: [...new Set(event.models ?? (configured.length > 0 ? configured : [DOCTOR_DEFAULT_MODEL]))],
    responses: deps.responses ?? new ResponseDates(),
    now: clock,
  });
  deps.logger?.info("doctor", { ok: report.ok, totals: report.totals });
  return report;
}
