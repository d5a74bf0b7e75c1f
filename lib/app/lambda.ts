import { z } from "zod";
import { type LoadedConfig, loadConfig, readEnv } from "../config";
import type { RunReport } from "../engine/types";
import { QianfanApi, QianfanClient, readQianfanEnv, staticCredentials } from "../qianfan";
import { FileStateStore, MemoryStateStore, type StateStore } from "../state";
import { runHousekeeping } from "./housekeeping";

/** An EventBridge scheduled event (only the fields we use; the rest pass). */
const ScheduledEvent = z.looseObject({
  source: z.literal("aws.events"),
  "detail-type": z.literal("Scheduled Event"),
  time: z.string().optional(),
});

/** A manual invocation from the console or `serverless invoke`: every key is checked. */
export const ManualEvent = z.strictObject({
  dryRun: z.boolean().optional(),
  only: z.array(z.string().min(1)).min(1).optional(),
  now: z.iso.datetime({ offset: true }).optional(),
});

export type JobEvent = { kind: "scheduled" } | ({ kind: "manual" } & z.infer<typeof ManualEvent>);

/** An invocation event that cannot be used: says which key and why; nothing was done. */
export class EventError extends Error {
  override name = "EventError";
}

/** Tells a scheduled event from a manual one and validates it. */
export function parseJobEvent(event: unknown): JobEvent {
  if (ScheduledEvent.safeParse(event).success) return { kind: "scheduled" };
  const manual = ManualEvent.safeParse(event ?? {});
  if (manual.success) return { kind: "manual", ...manual.data };
  const problems = manual.error.issues.map((issue) =>
    issue.code === "unrecognized_keys"
      ? `unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(", ")}; allowed: dryRun, only, now`
      : `${issue.path.map(String).join(".")}: ${issue.message}`,
  );
  throw new EventError(`invalid event: ${problems.join("; ")}`);
}

export interface JobHandlerDeps {
  loaded: LoadedConfig;
  api: QianfanApi;
  store: StateStore;
  target: string;
}

/** Builds what a job's handler needs, once per container: config, client and state. */
export async function buildJobHandlerDeps(
  env: Record<string, string | undefined> = process.env,
): Promise<JobHandlerDeps> {
  const loaded = await loadConfig(readEnv(env).QFHK_CONFIG ?? "housekeeping.yml");
  const settings = readQianfanEnv(env);
  if (!settings.credentials) throw new EventError("QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY are not set");
  const q = loaded.config.qianfan;
  const client = new QianfanClient({
    credentials: staticCredentials(settings.credentials),
    baseUrl: settings.baseUrl ?? q.baseUrl,
    pacing: { requestsPerSecond: q.requestsPerSecond, concurrency: q.concurrency },
    retry: { retries: q.maxRetries },
    timeoutMs: q.timeoutSeconds * 1000,
  });
  const store: StateStore =
    loaded.config.state.kind === "memory"
      ? new MemoryStateStore()
      : new FileStateStore(readEnv(env).QFHK_STATE_PATH ?? loaded.statePath);
  return { loaded, api: new QianfanApi(client), store, target: client.baseUrl.origin };
}

/**
 * Runs one job for a Lambda invocation and returns its report, so the console shows what
 * happened. Scheduled runs follow the config's dryRun (dry when unset); a manual event may say
 * dryRun explicitly, act on a subset of resources, or evaluate at another time.
 */
export async function handleJobEvent(
  job: string,
  event: unknown,
  deps: JobHandlerDeps,
  remainingMs?: () => number,
): Promise<RunReport> {
  const parsed = parseJobEvent(event);
  const configured = deps.loaded.config.dryRun ?? true;
  const dryRun = parsed.kind === "manual" ? (parsed.dryRun ?? configured) : configured;
  return runHousekeeping({
    config: deps.loaded.config,
    api: deps.api,
    store: deps.store,
    job,
    dryRun,
    now: parsed.kind === "manual" && parsed.now ? new Date(parsed.now) : new Date(),
    target: deps.target,
    only: parsed.kind === "manual" ? parsed.only : undefined,
    remainingMs,
  });
}
