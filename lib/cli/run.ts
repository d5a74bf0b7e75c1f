import { exitCodeOf, runHousekeeping } from "../app/housekeeping";
import { demoStatePath } from "../app/state-store";
import { type LoadedConfig, loadConfig, parseDuration } from "../config";
import { type Clock, isWhatIf, simulatedClock, systemClock } from "../engine/clock";
import { renderRunReport } from "../engine/report";
import { type AuditRecord, checkResourceId, JobMemory } from "../state";
import { type Column, closestMatch, formatInstant, renderTable } from "../text";
import { COMMANDS, didYouMean, JOBS, parseCommand } from "./commands";
import { exampleConfigNote, resolveConfigPath } from "./config-path";
import { connectQianfan, isLoopbackUrl, runsOnBuiltInEmulator } from "./connect";
import { usageText } from "./help";
import { type CliIo, tableWidth, UsageError } from "./io";
import { parseNow } from "./now";
import { checkRehearsalStore, type OpenedStore, openStore } from "./state";

/** The longest snooze or force-up: a year (longer ones are forgotten, not meant). */
const MAX_SNOOZE_MS = 365 * 86_400_000;

/** The table's usage line of a command, for a usage error. */
const usage = (name: keyof typeof COMMANDS) => usageText(COMMANDS[name]);

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
  if (mode === "plan" && argv.includes("--apply"))
    throw new UsageError("qfhk plan never changes anything; to act, use qfhk run <job|all> --apply");
  // plan takes neither --apply nor --dry-run (it never acts): parsed by its own entry, read as undefined.
  const { values, positionals } = parseCommand(COMMANDS[mode] as typeof COMMANDS.run, argv);
  const job = positionals[0];
  if (!job || positionals.length > 1) throw new UsageError(usage(mode));
  const jobs: readonly string[] = [...JOBS, "all"];
  if (!jobs.includes(job))
    throw new UsageError(`unknown job '${job}' (jobs: ${JOBS.join(", ")}, or all)${didYouMean(job, jobs)}`);
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
    qianfan: loaded.config.qianfan,
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
    const note = exampleConfigNote(values.config, env);
    if (note) io.stderr(note);
    const dryRun =
      mode === "plan" || values["dry-run"] || time.whatIf
        ? true
        : values.apply
          ? false
          : (loaded.config.dryRun ?? !connection.emulated);
    const recording = mode === "run" && !time.whatIf;
    const zone = loaded.config.timezone;
    const at = `${formatInstant(time.now, zone)} (${zone})`;
    io.stderr(
      recording
        ? `State: ${opened.description}${time.simulated ? ` (simulated at ${at})` : ""}.`
        : `State: ${opened.description}, read only: ${mode === "plan" ? "a plan" : `a what-if as of ${at}`} records nothing.`,
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
    warnUnlisted(
      io,
      values.only,
      report.jobs.flatMap((j) => j.decisions.map((d) => d.resourceId)),
    );
    io.stdout(
      values.json
        ? JSON.stringify(report, null, 2)
        : renderRunReport(report, { timeZone: zone, maxWidth: tableWidth(io, values.wide) }),
    );
    return exitCodeOf(report);
  } finally {
    await connection.close();
  }
}

/** " (did you mean 'x'?)" inside a sentence, or nothing. */
function meant(id: string, ids: readonly string[]): string {
  const near = closestMatch(id, ids);
  return near ? ` (did you mean '${near}'?)` : "";
}

/** `--only` ids that no listed resource has select nothing: each is named, with the nearest listed id. */
function warnUnlisted(io: CliIo, only: readonly string[] | undefined, listed: readonly string[]): void {
  const known = new Set(listed);
  for (const id of only ?? []) {
    if (known.has(id)) continue;
    const near = closestMatch(id, [...known]);
    io.stderr(
      `warning: --only ${id}: no resource this run listed has that id, so it selects nothing${near ? `; did you mean '${near}'?` : ""}`,
    );
  }
}

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
  // "-1d" would read as options: a length below zero is refused in words of its own.
  const negative = mode === "unsnooze" ? undefined : argv.find((arg) => /^-\d/.test(arg));
  if (negative)
    throw new UsageError(
      `qfhk ${mode}: a ${mode} must last longer than zero, got '${negative}'; give a length such as 90m, 12h, 3d or 2w`,
    );
  // unsnooze takes no --reason: parsed by its own entry, read as undefined.
  const { values, positionals } = parseCommand(COMMANDS[mode] as typeof COMMANDS.snooze, argv);
  const [resourceId, duration, ...extra] = positionals;
  if (!resourceId || extra.length > 0 || (mode === "unsnooze" ? duration !== undefined : !duration))
    throw new UsageError(usage(mode));
  const id = checkResourceId(resourceId);
  if (!id.ok) throw new UsageError(id.problem);
  const ms = mode === "unsnooze" ? 0 : snoozeLength(mode, duration!);
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
  // Only against a configured endpoint: the built-in emulator's demo fleet says nothing of real ids.
  if (mode !== "unsnooze" && !runsOnBuiltInEmulator(env, loaded.config.qianfan.baseUrl)) {
    const warning = await checkListed(mode, resourceId, loaded, env);
    if (warning) io.stderr(`warning: ${warning}`);
  }
  if (mode === "unsnooze") {
    const had = await memory.deleteSnooze(resourceId);
    if (had)
      await recordCommand(opened, time, by, "unsnooze", resourceId, "snooze removed from the command line");
    io.stdout(had ? `${resourceId} is no longer snoozed ${where}` : `${resourceId} was not snoozed ${where}`);
    return 0;
  }
  const until = new Date(time.now.getTime() + ms);
  const kind = mode === "force-up" ? "force-up" : "snooze";
  const zone = loaded.config.timezone;
  const untilText = formatInstant(until, zone, false);
  await memory.putSnooze({ resourceId, until: until.toISOString(), by, reason: values.reason, kind });
  await recordCommand(
    opened,
    time,
    by,
    kind,
    resourceId,
    `until ${untilText}${values.reason ? `: ${values.reason}` : ""}`,
  );
  io.stdout(
    kind === "force-up"
      ? `${resourceId} is kept up until ${untilText} (${zone}), whatever its schedule says ${where}`
      : `${resourceId} snoozed until ${untilText} (${zone}): no job touches it before then ${where}`,
  );
  return 0;
}

/** A snooze's or force-up's length: more than nothing, at most a year; else what to type instead. */
function snoozeLength(mode: "snooze" | "force-up", duration: string): number {
  const ms = parseDuration(duration);
  const like = "such as 90m, 12h, 3d or 2w";
  if (ms === undefined)
    throw new UsageError(`qfhk ${mode}: '${duration}' is not a length of time; give one ${like}`);
  if (ms <= 0)
    throw new UsageError(`qfhk ${mode}: a ${mode} must last longer than ${duration}; give a length ${like}`);
  if (ms > MAX_SNOOZE_MS) {
    const instead =
      mode === "snooze"
        ? "to keep a resource away from every job for good, protect it in the config (protect: under its job)"
        : "to keep a service up for good, change its uptime schedule in the config";
    throw new UsageError(
      `qfhk ${mode}: ${duration} is longer than a year (365d), the most a ${mode} lasts; ${instead}`,
    );
  }
  return ms;
}

/**
 * Whether the platform lists `id` (a force-up: as a service): a sentence when it does not, or when
 * it could not be checked. A snooze ahead of a resource's creation is allowed; it is only said.
 */
async function checkListed(
  mode: "snooze" | "force-up",
  id: string,
  loaded: LoadedConfig,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  let connection: Awaited<ReturnType<typeof connectQianfan>> | undefined;
  try {
    connection = await connectQianfan({
      env,
      baseUrl: loaded.config.qianfan.baseUrl,
      qianfan: loaded.config.qianfan,
      retry: { retries: 1 },
    });
    const { api } = connection;
    const [units, services, tasks] = await Promise.all([
      api.describeComputeUnits(),
      api.describeServices({}),
      api.describeBatchTasks({}),
    ]);
    const serviceIds = services.map((s) => s.serviceId);
    const where = connection.target;
    if (mode === "force-up") {
      if (serviceIds.includes(id)) return undefined;
      const other = units.some((u) => u.instanceId === id) || tasks.some((t) => t.taskId === id);
      return other
        ? `${id} is not a service: a force-up keeps a scheduled service up and does nothing for it`
        : `no service on ${where} has the id ${id}${meant(id, serviceIds)}; the force-up is recorded and holds once one does`;
    }
    const ids = [...units.map((u) => u.instanceId), ...serviceIds, ...tasks.map((t) => t.taskId)];
    if (ids.includes(id)) return undefined;
    return `no compute unit, service or task on ${where} has the id ${id}${meant(id, ids)}; the snooze is recorded and holds once one does`;
  } catch (error) {
    return `could not check that ${id} exists (${(error as Error).message}); recorded anyway`;
  } finally {
    await connection?.close();
  }
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
  const { values, positionals } = parseCommand(COMMANDS.snoozes, argv);
  if (positionals.length > 0) throw new UsageError(usage("snoozes"));
  const time = timeOf(values, clock);
  const { loaded, opened } = await stateStoreFor(values, env, time.clock, time.simulated);
  const zone = loaded.config.timezone;
  const snoozes = (await new JobMemory(opened.store).listSnoozes(time.now)).sort((a, b) =>
    a.until < b.until ? -1 : a.until > b.until ? 1 : 0,
  );
  return printList(io, snoozes, values, `no snoozes or force-ups in force (${opened.description})`, [
    { header: "RESOURCE", value: (s) => s.resourceId },
    { header: "KIND", value: (s) => s.kind ?? "snooze" },
    { header: "UNTIL", value: (s) => shownAt(s.until, zone, false) },
    { header: "BY", value: (s) => s.by, shrink: "truncate", optional: 1 },
    { header: "REASON", value: (s) => s.reason, shrink: "wrap" },
  ]);
}

/** A stored ISO time in the zone with its offset; a time that does not parse is shown as stored. */
function shownAt(iso: string, zone: string, seconds = true): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : formatInstant(at, zone, seconds);
}

/** Prints rows as JSON, as a table that fits the terminal, or a sentence when there are none; exit code 0. */
function printList<T>(
  io: CliIo,
  rows: T[],
  options: { json: boolean; wide: boolean },
  none: string,
  columns: Column<T>[],
): number {
  if (options.json) io.stdout(JSON.stringify(rows, null, 2));
  else
    io.stdout(
      rows.length === 0 ? none : renderTable(rows, columns, { maxWidth: tableWidth(io, options.wide) }),
    );
  return 0;
}

/** `qfhk history [--limit N] [--job J] [--json]`: the audit trail, newest first. */
export async function runHistoryCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<number> {
  const { values, positionals } = parseCommand(COMMANDS.history, argv);
  if (positionals.length > 0) throw new UsageError(usage("history"));
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000)
    throw new UsageError(`--limit must be a whole number from 1 to 100000, got '${values.limit}'`);
  const { loaded, opened } = await stateStoreFor(values, env, clock, false);
  const zone = loaded.config.timezone;
  const records = await opened.store.listAudit({ limit, job: values.job });
  return printList(io, records, values, `no actions recorded yet (${opened.description})`, [
    { header: "AT", value: (r) => shownAt(r.at, zone) },
    { header: "JOB", value: (r) => r.job },
    { header: "ACTION", value: (r) => r.action },
    { header: "RESOURCE", value: (r) => r.resourceId },
    {
      header: "OUTCOME",
      value: (r) => `${r.outcome}${r.dryRun ? " (dry run)" : ""}${r.simulated ? " (simulated)" : ""}`,
    },
    { header: "REASON", value: (r) => r.reason, shrink: "wrap" },
    {
      header: "DETAIL",
      value: (r) => [r.detail, r.requestId].filter(Boolean).join(" "),
      shrink: "wrap",
      optional: 1,
    },
  ]);
}
