/**
 * The shapes every housekeeping job shares: what a planner decides, what the executor did, and
 * what the report says. A job is a planner (pure) plus the I/O around it.
 */

/** What the planner decided for one resource. */
export type Verdict =
  /** Change it now (release, stop, scale, buy). */
  | "act"
  /** Announce a change a later run will make unless the resource is snoozed or changes. */
  | "notice"
  /** Leave it alone: it does not qualify, or a rule protects it. */
  | "keep";

/** One resource's decision, with its reason in words. */
export interface Decision<A = unknown> {
  resourceId: string;
  /** Short label for people: the unit's type and size, the task's name… */
  label?: string;
  verdict: Verdict;
  /** The rule that decided, for machines: `expired`, `idle`, `prepaid`, `busy`, `protected`, … */
  rule: string;
  /** Why, for people: "idle since 02:10, 2h15m ≥ 2h". */
  reason: string;
  /** For `act`: what to do. */
  action?: A;
  /** For `notice`: when the change becomes due. */
  dueAt?: string;
  /** Compute units a release frees, for the totals. */
  computeUnits?: number;
  /** Money per hour the action saves, when the user gave a price. */
  savingPerHour?: number;
}

/** What happened to one planned action. */
export type OutcomeStatus =
  /** The platform confirmed it. */
  | "done"
  /** Dry run: it would have been done. */
  | "planned"
  /** The announcement was recorded. */
  | "noticed"
  | "failed"
  /** A last check before acting found a reason not to act. */
  | "skipped"
  /** Not started: the run's deadline was near. */
  | "deferred";

export interface ActionResult {
  status: OutcomeStatus;
  /** What the platform showed afterwards, e.g. "status Releasing". */
  observed?: string;
  /** The platform had already done it (released, stopped). */
  alreadyDone?: boolean;
  code?: string;
  message?: string;
  requestId?: string;
  /** The id of what the action created (a purchase's instanceId). */
  createdId?: string;
}

/** A decision with what became of it. */
export interface DecisionReport<A = unknown> extends Decision<A> {
  outcome?: ActionResult;
}

/** Why a job stopped before acting. */
export interface GuardStop {
  guard: string;
  message: string;
}

export interface JobTotals {
  resources: number;
  planned: number;
  done: number;
  failed: number;
  skipped: number;
  deferred: number;
  noticed: number;
  computeUnitsReleased: number;
  savingPerHour?: number;
}

/** One job's part of a run report. */
export interface JobReport {
  job: string;
  status: "ok" | "stopped" | "failed" | "locked" | "disabled";
  /** Set when a guard stopped the job before any action. */
  stoppedBy?: GuardStop;
  /** Set when the job failed before planning (listing failed, config wrong). */
  error?: { message: string; code?: string; requestId?: string; action?: string };
  decisions: DecisionReport[];
  totals: JobTotals;
  /** Listing problems found and overridden by the user, and anything else worth saying. */
  warnings: string[];
  /** State writes that failed (audit, marks, memo) after the job began: what it sent is still listed. */
  stateErrors?: string[];
}

/** The whole run: what every caller (CLI, Lambda, chat) gets back. */
export interface RunReport {
  runId: string;
  /** The instant the rules were evaluated at (`--now`, or the clock). */
  evaluatedAt: string;
  startedAt: string;
  finishedAt: string;
  dryRun: boolean;
  /** Evaluated as of another moment than now: nothing was changed and nothing recorded. */
  whatIf?: boolean;
  /** A rehearsal (`--simulate`) on an emulator or a copy of the state, acting as of `evaluatedAt`. */
  simulated?: boolean;
  /** Whether the run wrote to the state store (marks, notices, audit); false for plans and what-ifs. */
  recorded: boolean;
  target: string;
  jobs: JobReport[];
  currency?: string;
}
