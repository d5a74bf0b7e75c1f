import { parseArgs } from "node:util";
import { exitCodeOf, runHousekeeping } from "../app/housekeeping";
import { demoStatePath } from "../app/state-store";
import { type LoadedConfig, loadConfig, parseDuration } from "../config";
import { type Clock, isWhatIf, simulatedClock, systemClock } from "../engine/clock";
import { renderRunReport } from "../engine/report";
import { type AuditRecord, checkResourceId, JobMemory } from "../state";
import { type Column, renderTable } from "../text";
import { resolveConfigPath } from "./config-path";
import { connectQianfan, isLoopbackUrl, runsOnBuiltInEmulator } from "./connect";
import { type CliIo, UsageError } from "./io";
import { parseNow } from "./now";
import { checkRehearsalStore, type OpenedStore, openStore } from "./state";

/** The longest snooze or force-up: a year (longer ones are forgotten, not meant). */
const MAX_SNOOZE_MS = 366 * 86_400_000;

/**
 * When a command may act or write as of `--now`: only now (within a minute), or in a rehearsal
 * (`--simulate`), whose clock then follows the simulated instant throughout.
 */
function timeOf(
  values: { now?: string; simulate?: boolean },
  clock: Clock,
): { now: Date; clock: Clock; whatIf: boolean; simulated: boolean } {
  const now = parseNow(values.now, clock);
  if (values.simulate)
    return { now, clock: simulatedClock(now, () => clock().getTime()), whatIf: false, simulated: true };
  return { now, clock, whatIf: isWhatIf(now, clock), simulated: false };
}

const REHEARSAL_HINT =
  "a run as of another moment only looks (qfhk plan, or run without --apply); to act as of it, rehearse on an emulator with --simulate";

/** `qfhk run <job|all>` and `qfhk plan <job|all>`. */
export async function runRunCommand(
  mode: "run" | "plan",
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
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
      simulate: { type: "boolean", default: false },
      state: { type: "string" },
      only: { type: "string", multiple: true },
      "base-url": { type: "string" },
      fleet: { type: "string" },
    },
  });
  const job = positionals[0];
  if (!job || positionals.length > 1)
    throw new UsageError(
      `usage: qfhk ${mode} <job|all> [--apply|--dry-run] [--config FILE] [--json] [--now T [--simulate]] [--state FILE]`,
    );
  if (values.apply && values["dry-run"]) throw new UsageError("--apply and --dry-run contradict each other");
  if (mode === "plan" && values.apply)
    throw new UsageError("qfhk plan never changes anything; use qfhk run --apply");
  if (values.only?.some((id) => !checkResourceId(id).ok))
    throw new UsageError(
      `--only: ${values.only.map((id) => checkResourceId(id)).find((c) => !c.ok)!.problem}`,
    );
  const time = timeOf(values, clock);
  if (time.whatIf && values.apply) {
    throw new UsageError(
      `--apply with --now ${values.now}, more than a minute from the clock: ${REHEARSAL_HINT}`,
    );
  }
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  for (const warning of loaded.warnings) io.stderr(`warning: ${warning}`);
  const connection = await connectQianfan({
    env,
    baseUrl: values["base-url"] ?? loaded.config.qianfan.baseUrl,
    fleetFile: values.fleet,
    // The in-process emulator's clock starts at the evaluation instant, so its relative fleet times agree with it.
    emulatorStart: time.now,
    pacing: {
      requestsPerSecond: loaded.config.qianfan.requestsPerSecond,
      concurrency: loaded.config.qianfan.concurrency,
    },
    retry: { retries: loaded.config.qianfan.maxRetries },
    timeoutMs: loaded.config.qianfan.timeoutSeconds * 1000,
  });
  try {
    if (time.simulated && !connection.emulated && !isLoopbackUrl(connection.api.client.baseUrl)) {
      throw new UsageError(
        `--simulate rehearses on an emulator only (the built-in one, or one on 127.0.0.1/localhost), never on ${connection.target}`,
      );
    }
    const opened = await openStore(loaded, env, {
      builtInEmulator: connection.emulated,
      stateFile: values.state,
      clock: time.clock,
    });
    if (time.simulated) checkRehearsalStore(opened);
    if (connection.emulated) io.stderr(`Using ${connection.target}.`);
    const dryRun =
      mode === "plan" || values["dry-run"] || time.whatIf
        ? true
        : values.apply
          ? false
          : (loaded.config.dryRun ?? !connection.emulated);
    const recording = mode === "run" && !time.whatIf;
    io.stderr(
      recording
        ? `State: ${opened.description}${time.simulated ? ` (simulated at ${time.now.toISOString()})` : ""}.`
        : `State: ${opened.description}, read only: ${mode === "plan" ? "a plan" : `a what-if as of ${time.now.toISOString()}`} records nothing.`,
    );
    const report = await runHousekeeping({
      config: loaded.config,
      api: connection.api,
      store: opened.store,
      job,
      dryRun,
      now: time.now,
      target: connection.emulated ? "the built-in emulator" : connection.target,
      only: values.only,
      readOnly: mode === "plan",
      simulated: time.simulated,
      clock: time.clock,
      onProgress: io.progress
        ? ({ job: name, done, total }) => {
            io.progress!(`${name}: ${done}/${total} actions`);
            if (done === total) io.progress!("");
          }
        : undefined,
    });
    io.stdout(values.json ? JSON.stringify(report, null, 2) : renderRunReport(report));
    return exitCodeOf(report);
  } finally {
    await connection.close();
  }
}

/** Options of the commands that only read or write remembered state. */
const STATE_OPTIONS = {
  config: { type: "string" },
  state: { type: "string" },
  now: { type: "string" },
  simulate: { type: "boolean", default: false },
} as const;

/**
 * The store of a state-only command: exactly the one the config and environment name (the same
 * one the deployed functions read), never a demo file, since no Qianfan run is involved.
 */
async function stateStoreFor(
  values: { config?: string; state?: string },
  env: Record<string, string | undefined>,
  clock: Clock,
  simulated: boolean,
): Promise<{ loaded: LoadedConfig; opened: OpenedStore }> {
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  const opened = await openStore(loaded, env, { builtInEmulator: false, stateFile: values.state, clock });
  if (simulated) checkRehearsalStore(opened);
  return { loaded, opened };
}

/** `qfhk snooze ID DURATION`, `qfhk force-up SERVICE_ID DURATION` and `qfhk unsnooze ID`. */
export async function runSnoozeCommand(
  mode: "snooze" | "unsnooze" | "force-up",
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...STATE_OPTIONS, reason: { type: "string" }, by: { type: "string" } },
  });
  const usage = `usage: qfhk ${mode} ID${mode === "unsnooze" ? "" : " DURATION [--reason TEXT]"}`;
  const [resourceId, duration, ...extra] = positionals;
  if (!resourceId || extra.length > 0 || (mode === "unsnooze" ? duration !== undefined : !duration))
    throw new UsageError(usage);
  const id = checkResourceId(resourceId);
  if (!id.ok) throw new UsageError(id.problem);
  const ms = mode === "unsnooze" ? 0 : parseDuration(duration!);
  if (mode !== "unsnooze" && (!ms || ms > MAX_SNOOZE_MS))
    throw new UsageError(
      `qfhk ${mode} needs a duration from 1s to 366d, such as 3d or 12h, got '${duration}'`,
    );
  const time = timeOf(values, clock);
  if (time.whatIf) throw new UsageError(`qfhk ${mode} --now ${values.now} is a what-if: ${REHEARSAL_HINT}`);
  const { loaded, opened } = await stateStoreFor(values, env, time.clock, time.simulated);
  const memory = new JobMemory(opened.store);
  const by = values.by ?? "cli";
  if (opened.location.kind === "file" && runsOnBuiltInEmulator(env, loaded.config.qianfan.baseUrl)) {
    // The demo keeps its own file; say where this went, and how to reach the demo's.
    const demo = demoStatePath(loaded);
    io.stderr(
      `Note: with no Qianfan keys or endpoint set, qfhk run uses the built-in emulator and its own ${demo}; this goes to ${opened.description}, which runs against Qianfan read (for the demo: --state ${demo}).`,
    );
  }
  const where = `(${opened.description}${time.simulated ? ", simulated" : ""})`;
  if (mode === "unsnooze") {
    const had = await memory.deleteSnooze(resourceId);
    if (had)
      await recordCommand(opened, time, by, "unsnooze", resourceId, "snooze removed from the command line");
    io.stdout(had ? `${resourceId} is no longer snoozed ${where}` : `${resourceId} was not snoozed ${where}`);
    return 0;
  }
  const until = new Date(time.now.getTime() + ms!);
  const kind = mode === "force-up" ? "force-up" : "snooze";
  await memory.putSnooze({ resourceId, until: until.toISOString(), by, reason: values.reason, kind });
  await recordCommand(
    opened,
    time,
    by,
    kind,
    resourceId,
    `until ${until.toISOString()}${values.reason ? `: ${values.reason}` : ""}`,
  );
  io.stdout(
    kind === "force-up"
      ? `${resourceId} is kept up until ${until.toISOString()}, whatever its schedule says ${where}`
      : `${resourceId} snoozed until ${until.toISOString()}: no job touches it before then ${where}`,
  );
  return 0;
}

/** A snooze, force-up or unsnooze typed by someone goes to the audit trail like a job's action. */
async function recordCommand(
  opened: OpenedStore,
  time: { clock: Clock; simulated: boolean },
  by: string,
  action: string,
  resourceId: string,
  reason: string,
): Promise<void> {
  const record: AuditRecord = {
    at: time.clock().toISOString(),
    runId: "cli",
    job: "cli",
    action,
    resourceId,
    reason,
    outcome: "done",
    detail: `by ${by}`,
    dryRun: false,
    ...(time.simulated ? { simulated: true } : {}),
  };
  await opened.store.appendAudit(record);
}

/** `qfhk snoozes [--json] [--config FILE]`: snoozes and force-ups in force, soonest end first. */
export async function runSnoozesCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { ...STATE_OPTIONS, json: { type: "boolean", default: false } },
  });
  const time = timeOf(values, clock);
  const { opened } = await stateStoreFor(values, env, time.clock, time.simulated);
  const snoozes = (await new JobMemory(opened.store).listSnoozes(time.now)).sort((a, b) =>
    a.until < b.until ? -1 : a.until > b.until ? 1 : 0,
  );
  return printList(io, snoozes, values.json, `no snoozes or force-ups in force (${opened.description})`, [
    { header: "RESOURCE", value: (s) => s.resourceId },
    { header: "KIND", value: (s) => s.kind ?? "snooze" },
    { header: "UNTIL", value: (s) => s.until },
    { header: "BY", value: (s) => s.by },
    { header: "REASON", value: (s) => s.reason },
  ]);
}

/** Prints rows as JSON, as a table, or a sentence when there are none; exit code 0. */
function printList<T>(io: CliIo, rows: T[], json: boolean, none: string, columns: Column<T>[]): number {
  if (json) io.stdout(JSON.stringify(rows, null, 2));
  else io.stdout(rows.length === 0 ? none : renderTable(rows, columns));
  return 0;
}

/** `qfhk history [--limit N] [--job J] [--json]`: the audit trail, newest first. */
export async function runHistoryCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: "string" },
      state: { type: "string" },
      limit: { type: "string", default: "50" },
      job: { type: "string" },
      json: { type: "boolean", default: false },
    },
  });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw new UsageError(`--limit must be a whole number from 1 to 100000, got '${values.limit}'`);
  const { opened } = await stateStoreFor(values, env, clock, false);
  const records = await opened.store.listAudit({ limit, job: values.job });
  return printList(io, records, values.json, `no actions recorded yet (${opened.description})`, [
    { header: "AT", value: (r) => r.at },
    { header: "JOB", value: (r) => r.job },
    { header: "ACTION", value: (r) => r.action },
    { header: "RESOURCE", value: (r) => r.resourceId },
    {
      header: "OUTCOME",
      value: (r) => `${r.outcome}${r.dryRun ? " (dry run)" : ""}${r.simulated ? " (simulated)" : ""}`,
    },
    { header: "REASON", value: (r) => r.reason },
    { header: "DETAIL", value: (r) => [r.detail, r.requestId].filter(Boolean).join(" ") },
  ]);
}
