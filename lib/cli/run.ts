import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { exitCodeOf, runHousekeeping } from "../app/housekeeping";
import { type LoadedConfig, loadConfig, parseDuration, readEnv } from "../config";
import { renderRunReport } from "../engine/report";
import { FileStateStore, JobMemory, MemoryStateStore, type StateStore } from "../state";
import { renderTable } from "../text";
import { connectQianfan } from "./connect";
import { type CliIo, UsageError } from "./io";

/** The example config shipped with the project: the default when no housekeeping.yml exists. */
export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL("../../housekeeping.example.yml", import.meta.url));

/** Which config file a command reads: --config, QFHK_CONFIG, ./housekeeping.yml, else the example. */
export function resolveConfigPath(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag) return flag;
  const fromEnv = readEnv(env).QFHK_CONFIG;
  if (fromEnv) return fromEnv;
  return existsSync("housekeeping.yml") ? "housekeeping.yml" : EXAMPLE_CONFIG_PATH;
}

/**
 * The state store a command uses. Runs against the built-in emulator keep their own file beside
 * the real one, so a demo never mixes with what was remembered of a real account. With
 * `state.kind: dynamodb` the CLI uses the deployed table (AWS credentials from the usual chain), so
 * a snooze typed here holds for the scheduled functions too.
 */
export async function openStore(
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
  emulated: boolean,
): Promise<StateStore> {
  const { config } = loaded;
  const vars = readEnv(env);
  if (vars.QFHK_STATE_PATH) return new FileStateStore(vars.QFHK_STATE_PATH, { auditRetention: 5000 });
  if (config.state.kind === "memory") return new MemoryStateStore();
  if (emulated)
    return new FileStateStore(join(dirname(loaded.statePath), "demo-state.json"), { auditRetention: 5000 });
  if (config.state.kind === "dynamodb") {
    const { DynamoDbStateStore } = await import("../state/dynamodb-store");
    return DynamoDbStateStore.open({
      table: (vars.QFHK_STATE_TABLE ?? config.state.table)!,
      auditRetentionMs: config.state.auditRetention,
    });
  }
  return new FileStateStore(loaded.statePath, { auditRetention: 5000 });
}

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const date = new Date(value);
  if (Number.isNaN(date.getTime()) || !/\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new UsageError(`--now must be an ISO time such as 2026-11-23T14:00:00+08:00, got '${value}'`);
  }
  return date;
}

const hasCredentials = (env: Record<string, string | undefined>) => {
  const e = readEnv(env);
  return Boolean(e.QIANFAN_ACCESS_KEY || e.QIANFAN_SECRET_KEY || e.QIANFAN_CONSOLE_API_BASE_URL);
};

/** `qfhk run <job|all>` and `qfhk plan <job|all>`. */
export async function runRunCommand(
  mode: "run" | "plan",
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      apply: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      config: { type: "string" },
      json: { type: "boolean", default: false },
      now: { type: "string" },
      only: { type: "string", multiple: true },
      "base-url": { type: "string" },
      fleet: { type: "string" },
    },
  });
  const job = positionals[0];
  if (!job || positionals.length > 1)
    throw new UsageError(
      `usage: qfhk ${mode} <job|all> [--apply|--dry-run] [--config FILE] [--json] [--now T]`,
    );
  if (values.apply && values["dry-run"]) throw new UsageError("--apply and --dry-run contradict each other");
  if (mode === "plan" && values.apply)
    throw new UsageError("qfhk plan never changes anything; use qfhk run --apply");
  const now = parseNow(values.now);
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  // The in-process emulator's clock starts at the evaluation instant, so its relative fleet times agree with it.
  const emulatedStart = now;
  const connection = await connectQianfan({
    env,
    baseUrl: values["base-url"] ?? loaded.config.qianfan.baseUrl,
    fleetFile: values.fleet,
    emulatorStart: emulatedStart,
    pacing: {
      requestsPerSecond: loaded.config.qianfan.requestsPerSecond,
      concurrency: loaded.config.qianfan.concurrency,
    },
    retry: { retries: loaded.config.qianfan.maxRetries },
    timeoutMs: loaded.config.qianfan.timeoutSeconds * 1000,
  });
  try {
    if (connection.emulated) io.stderr(`Using ${connection.target}.`);
    const dryRun =
      mode === "plan" || values["dry-run"]
        ? true
        : values.apply
          ? false
          : (loaded.config.dryRun ?? !connection.emulated);
    const report = await runHousekeeping({
      config: loaded.config,
      api: connection.api,
      store: await openStore(loaded, env, connection.emulated),
      job,
      dryRun,
      now,
      target: connection.emulated ? "the built-in emulator" : connection.target,
      only: values.only,
      readOnly: mode === "plan",
    });
    io.stdout(values.json ? JSON.stringify(report, null, 2) : renderRunReport(report));
    return exitCodeOf(report);
  } finally {
    await connection.close();
  }
}

/** `qfhk snooze ID DURATION [--reason TEXT]` and `qfhk unsnooze ID`. */
export async function runSnoozeCommand(
  mode: "snooze" | "unsnooze" | "force-up",
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: "string" },
      reason: { type: "string" },
      by: { type: "string" },
      now: { type: "string" },
    },
  });
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  const memory = new JobMemory(await openStore(loaded, env, !hasCredentials(env)));
  const [resourceId, duration] = positionals;
  if (!resourceId) throw new UsageError(`usage: qfhk ${mode} ID${mode === "unsnooze" ? "" : " DURATION"}`);
  if (mode === "unsnooze") {
    const had = await memory.deleteSnooze(resourceId);
    io.stdout(had ? `${resourceId} is no longer snoozed` : `${resourceId} was not snoozed`);
    return 0;
  }
  const ms = duration ? parseDuration(duration) : undefined;
  if (!ms) throw new UsageError(`qfhk ${mode} needs a duration such as 3d or 12h, got '${duration ?? ""}'`);
  const now = parseNow(values.now);
  const until = new Date(now.getTime() + ms);
  const kind = mode === "force-up" ? "force-up" : "snooze";
  await memory.putSnooze({
    resourceId,
    until: until.toISOString(),
    by: values.by ?? "cli",
    reason: values.reason,
    kind,
  });
  io.stdout(
    kind === "force-up"
      ? `${resourceId} is kept up until ${until.toISOString()}, whatever its schedule says`
      : `${resourceId} snoozed until ${until.toISOString()}: no job touches it before then`,
  );
  return 0;
}

/** `qfhk history [--limit N] [--job J] [--json]`: the audit trail, newest first. */
export async function runHistoryCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      limit: { type: "string", default: "50" },
      job: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`--limit must be a positive whole number, got '${values.limit}'`);
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  const store = await openStore(loaded, env, !hasCredentials(env));
  const records = await store.listAudit({ limit, job: values.job });
  if (values.json) {
    io.stdout(JSON.stringify(records, null, 2));
    return 0;
  }
  if (records.length === 0) {
    io.stdout("no actions recorded yet");
    return 0;
  }
  io.stdout(
    renderTable(records, [
      { header: "AT", value: (r) => r.at },
      { header: "JOB", value: (r) => r.job },
      { header: "ACTION", value: (r) => r.action },
      { header: "RESOURCE", value: (r) => r.resourceId },
      { header: "OUTCOME", value: (r) => `${r.outcome}${r.dryRun ? " (dry run)" : ""}` },
      { header: "REASON", value: (r) => r.reason },
      { header: "DETAIL", value: (r) => [r.detail, r.requestId].filter(Boolean).join(" ") },
    ]),
  );
  return 0;
}
