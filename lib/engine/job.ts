import type { ActionOutcome, QianfanApi } from "../qianfan";
import type { JobMemory, StateStore } from "../state";
import type { ConfirmOptions } from "./confirm";
import type { GuardPolicy } from "./guards";
import type { ActionResult, Decision } from "./types";

/** An item of a listing that failed validation: never acted on, and by default it stops the job. */
export interface InvalidItem {
  index: number;
  id?: string;
  problem: string;
}

/** What a job read from the platform, with what it could not understand. */
export interface Inventory<Item> {
  items: Item[];
  invalid: InvalidItem[];
  /** How many resources the blast-radius fraction is measured against. */
  fleetSize: number;
  /** Things worth saying that do not stop the job (a binding that matches nothing). */
  warnings?: string[];
}

/** What every job gets from the runner. */
export interface JobContext {
  api: QianfanApi;
  store: StateStore;
  memory: JobMemory;
  /** The instant the rules are evaluated at. */
  now: Date;
  runId: string;
  dryRun: boolean;
}

/**
 * A housekeeping job: read → plan (pure) → act, with the runner doing locks, guards, concurrency,
 * deadlines, remembering and reporting around it.
 */
export interface Job<Item, Context, A> {
  name: string;
  /**
   * The kinds of resource the job reads or changes ("units", "services", "tasks", "tpm"). A run
   * starts a job beside the jobs before it that touch none of the same kinds, and after the ones
   * that do; a job that names none runs alone, after all before it and before all after it.
   */
  touches?: readonly string[];
  /** This job's overrides of the run's guards (config `jobs.<name>.guards`). */
  guards?: Partial<GuardPolicy>;
  /** Reads the inventory. A failed call throws: the job stops before any action. */
  readInventory(ctx: JobContext): Promise<Inventory<Item>>;
  /** Loads what the planner needs from remembered state. */
  loadContext(ctx: JobContext, inventory: Inventory<Item>): Promise<Context>;
  /**
   * Pure: decides from the inventory, the remembered context and `now`. A planner of thousands may
   * answer later, giving the event loop turns as it goes; the plan is the same.
   */
  plan(inventory: Inventory<Item>, context: Context, now: Date): Planned<A> | Promise<Planned<A>>;
  /**
   * Re-checks the resource, acts and reports what the platform then shows. Never throws: a failure
   * is a result. A job with {@link Job.listed} acts through that instead.
   */
  execute?(ctx: JobContext, decision: Decision<A>): Promise<ActionResult>;
  /**
   * Acting in batches between two listings: the last look before a batch and the confirmation after
   * it come from listings made right before and right after it (one list serves thousands of
   * resources), so each action is one call.
   */
  listed?: ListedActions<Item, A>;
  /** Records what this run observed and did (marks, notices), after execution. */
  remember(ctx: JobContext, planned: Planned<A>, results: Map<string, ActionResult>): Promise<void>;
}

/**
 * How a job acts on resources that one listing shows all of. The last look is the job's own plan,
 * made again on a fresh listing with freshly loaded context (snoozes, marks): only a resource it
 * still decides to act on, with the same action, is acted on.
 */
export interface ListedActions<Item, A> {
  /** The id a listed item has (the decisions' `resourceId`). */
  idOf(item: Item): string;
  /** The listing that confirms a batch; by default {@link Job.readInventory}. It is also the next batch's last look. */
  readAfter?(ctx: JobContext): Promise<Inventory<Item>>;
  /**
   * Instead of {@link ListedActions.readAfter}: a listing of the given resources alone (those still
   * to confirm), for a job whose whole listing costs a call per resource. Being partial, it is no
   * last look: the next batch lists again.
   */
  readAfterOnly?(ctx: JobContext, resourceIds: readonly string[]): Promise<Inventory<Item>>;
  /**
   * Called with the decisions that passed the last look, right before they are sent: a result for
   * each one that must not be sent after all (a restore that does not fit on its unit).
   */
  prepare?(ctx: JobContext, decisions: readonly Decision<A>[]): Promise<Map<string, ActionResult>>;
  /** Sends the action alone: no look before or after it. */
  send(ctx: JobContext, decision: Decision<A>): Promise<ActionOutcome>;
  /** Whether the after-listing's item (undefined: not listed) shows the action applied, and what it shows. */
  shows(
    item: Item | undefined,
    outcome: ActionOutcome,
    decision: Decision<A>,
  ): { done: boolean; observed: string };
  /** The action in words, for reports: "release", "stop". */
  what: string;
  confirm?: ConfirmOptions;
}

/** A planner's output: decisions and, job-specific, what to remember. */
export interface Planned<A> {
  decisions: Decision<A>[];
  /** Opaque to the runner: handed back to `remember`. */
  memory?: unknown;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds jobs of every item and action type.
export type AnyJob = Job<any, any, any>;
