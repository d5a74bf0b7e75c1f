import * as z from "../validation";
import { type ActionName, PAGE_MAX_KEYS, SERVICE_UNIT_ACTION, SERVICE_UNITS_ACTION } from "./actions";
import type { CallDefaults, CallOptions, CallResult, QianfanClient } from "./client";
import { QianfanApiError, QianfanError, QianfanResponseError } from "./errors";
import { sleep } from "./pacer";
import type { PurchaseContext } from "./purchase";
import {
  type BatchTask,
  BatchTaskSchema,
  type ComputeUnit,
  ComputeUnitSchema,
  DescribeBatchTasksResult,
  DescribeComputeUnitResult,
  DescribeComputeUnitsResult,
  DescribeServicesResult,
  DescribeServiceUnitResult,
  DescribeServiceUnitsResult,
  DescribeTpmResourceItems,
  DescribeTpmResourceResult,
  type PageInfo,
  PageInfoSchema,
  PurchaseResult,
  readServiceUsage,
  type Service,
  ServiceSchema,
  type ServiceUnit,
  ServiceUnitSchema,
  type ServiceUsage,
  type TpmInstance,
  TpmInstanceSchema,
  TrueResult,
} from "./schemas";
import { eachInTurns, ITEMS_PER_TURN } from "./turns";

/** A listing validated item by item. */
export interface CheckedList<T> {
  items: T[];
  invalid: Array<{ index: number; id?: string; problem: string }>;
  requestId?: string;
}

const RawUnitList = z.looseObject({ computeUnitInstanceList: z.array(z.unknown()) });
const RawTaskPage = z.looseObject({ taskList: z.array(z.unknown()), pageInfo: PageInfoSchema });

type CheckedItems<T> = { items: T[]; invalid: Array<{ index: number; id?: string; problem: string }> };

/**
 * Validates each item of a list on its own; an invalid one is described by its id and field. An id
 * listed more than once makes every one of its items invalid: which of them is the real one cannot
 * be told, and acting on both would release or stop the same resource twice.
 */
export function checkItems<T>(
  raw: unknown[],
  schema: z.ZodMiniType<T>,
  idField: string,
  /**
   * Empties `raw` as it goes: each raw item is let go once validated, so a large listing is not
   * held twice (as the answer's items and as the validated ones) at its peak.
   */
  consume = false,
): CheckedItems<T> {
  const checker = itemChecker(raw, schema, idField, consume);
  for (let index = 0; index < raw.length; index += 1) checker.check(index);
  return checker.done();
}

/**
 * {@link checkItems} for a listing of thousands, a turn of the event loop every
 * {@link ITEMS_PER_TURN} items ({@link eachInTurns}): the same result, while the other calls of
 * the run go on.
 */
export async function checkItemsInTurns<T>(
  raw: unknown[],
  schema: z.ZodMiniType<T>,
  idField: string,
  consume = false,
): Promise<CheckedItems<T>> {
  const checker = itemChecker(raw, schema, idField, consume);
  await eachInTurns(raw, (_, index) => checker.check(index));
  return checker.done();
}

function itemChecker<T>(raw: unknown[], schema: z.ZodMiniType<T>, idField: string, consume: boolean) {
  const items: T[] = [];
  const invalid: Array<{ index: number; id?: string; problem: string }> = [];
  const idOf = (item: unknown): string | undefined => {
    const value =
      item !== null && typeof item === "object" ? (item as Record<string, unknown>)[idField] : undefined;
    return typeof value === "string" ? value : undefined;
  };
  const times = new Map<string, number>();
  for (const item of raw) {
    const id = idOf(item);
    if (id !== undefined) times.set(id, (times.get(id) ?? 0) + 1);
  }
  const check = (index: number) => {
    const item = raw[index];
    const id = idOf(item);
    const problems: string[] = [];
    const listed = id === undefined ? 0 : (times.get(id) ?? 0);
    if (id !== undefined && listed > 1) {
      problems.push(`duplicate ${idField} '${clipId(id)}' (listed ${listed} times)`);
    }
    let parsed: z.core.util.SafeParseResult<T> | undefined;
    try {
      parsed = schema.safeParse(item);
    } catch {
      problems.push("(item): could not be validated");
    }
    if (parsed && !parsed.success) {
      problems.push(
        parsed.error.issues
          .slice(0, 3)
          .map(
            (issue) =>
              `${issue.path.map(String).join(".") || "(item)"}: ${valueAt(item, issue.path) === undefined && issue.path.length > 0 ? "missing" : issue.message}`,
          )
          .join("; "),
      );
    }
    if (problems.length === 0 && parsed?.success) items.push(parsed.data);
    else invalid.push({ index, id, problem: problems.join("; ") });
    if (consume) raw[index] = undefined;
  };
  const done = (): CheckedItems<T> => {
    if (consume) raw.length = 0;
    return { items, invalid };
  };
  return { check, done };
}

/** What a mutating call achieved, as the platform confirmed it. */
export interface ActionOutcome {
  requestId: string | undefined;
  /** The platform said the work was already done (released, stopped, at the target size). */
  alreadyDone: boolean;
  /** What the platform showed when `alreadyDone` was established, e.g. `status Releasing`. */
  observed?: string;
}

/** A purchase that went through, possibly recovered from a lost answer by listing. */
export interface PurchaseOutcome {
  instanceId: string;
  requestId: string | undefined;
  /** True when the answer was lost and the new instance was found by listing instead. */
  recoveredByListing: boolean;
  /** How many purchase requests were sent (more than one only when the first was proven absent). */
  purchaseRequests: number;
}

export interface ComputeUnitFilter {
  region?: "bj" | "bd";
  paymentTiming?: "Prepaid" | "Postpaid";
  type?: string;
}

export interface ServiceFilter {
  name?: string;
  serviceType?: string[];
  runStatus?: string[];
  creator?: string[];
}

export interface BatchTaskFilter {
  runStatus?: string[];
}

export interface PurchaseComputeUnitRequest {
  computeUnitCount: number;
  billing: {
    paymentTiming: "Prepaid" | "Postpaid";
    releaseTime?: string;
    reservation?: Record<string, unknown>;
  };
  computeUnitConfig: { region: string; type: string };
}

export interface QianfanApiOptions {
  /** How a purchase with a lost answer is looked for before it may be sent again. */
  purchaseVerification?: { listings: number; delayMs: number };
  /**
   * At most this many purchase requests for one purchase (the first included). Default 1: a
   * listing may lag behind a purchase, so "not listed yet" never proves a lost purchase absent
   * within one run; the caller records it as pending and settles it later.
   */
  maxPurchaseRequests?: number;
  /** A paged listing that needs more pages than this fails (default 1000). */
  maxPages?: number;
  /** A paged listing with more items than this fails (default 100,000). */
  maxItems?: number;
  /** Passed to every client call, the purchase listings and confirmations included. */
  callDefaults?: CallDefaults;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_MAX_PAGES = 1000;
/** DescribeServices' `protocolVersion` values, each listed in turn (the docs show 2 for newer services). */
export const SERVICE_PROTOCOL_VERSIONS = [1, 2] as const;
export const DEFAULT_MAX_ITEMS = 100_000;

/** Statuses that mean a release or stop already took effect. */
const UNIT_RELEASED = new Set(["Releasing", "Released"]);
const TASK_ENDED = new Set(["Stopping", "Stopped", "Done", "Failed", "Expired"]);
const TPM_ENDED = new Set(["Stopped"]);
/** Answers after which looking at the resource cannot help: the key or the request is wrong. */
const AUTH_CODES = new Set(["AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"]);

/**
 * Typed operations for every console action the jobs use (see {@link ACTIONS}). Reads are retried;
 * releases, stops and scales are idempotent, and an answer such as "already released" is confirmed
 * by looking at the resource and reported as success. Purchases are never blindly sent again.
 */
export class QianfanApi {
  readonly client: QianfanClient;
  readonly #options: QianfanApiOptions;
  readonly #verification: { listings: number; delayMs: number };
  readonly #maxPurchaseRequests: number;
  readonly #maxPages: number;
  readonly #maxItems: number;
  readonly #callDefaults: CallDefaults;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(client: QianfanClient, options: QianfanApiOptions = {}) {
    this.client = client;
    this.#options = options;
    this.#verification = options.purchaseVerification ?? { listings: 2, delayMs: 2000 };
    this.#maxPurchaseRequests = options.maxPurchaseRequests ?? 1;
    this.#maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
    this.#maxItems = options.maxItems ?? DEFAULT_MAX_ITEMS;
    this.#callDefaults = options.callDefaults ?? {};
    this.#sleep = options.sleep ?? sleep;
  }

  /**
   * The same operations on the same client (one pacer, one concurrency limit), with `defaults`
   * (a run's cancellation signal and deadline) passed to every call they make.
   */
  withCallDefaults(defaults: CallDefaults): QianfanApi {
    return new QianfanApi(this.client, {
      ...this.#options,
      callDefaults: { ...this.#callDefaults, ...defaults },
    });
  }

  /** A client call with this api's call defaults. */
  #call<S extends z.ZodMiniType>(
    action: ActionName,
    body: Record<string, unknown>,
    schema: S,
    options: CallOptions = {},
  ): Promise<CallResult<z.infer<S>>> {
    return this.client.call(action, body, schema, { ...this.#callDefaults, ...options });
  }

  /** Lists compute units (DescribeComputeUnits, seed 001). */
  async describeComputeUnits(filter: ComputeUnitFilter = {}): Promise<ComputeUnit[]> {
    const { result, requestId } = await this.#call(
      "DescribeComputeUnits",
      { ...filter },
      DescribeComputeUnitsResult,
    );
    const units = result.computeUnitInstanceList;
    assertUniqueIds(
      "DescribeComputeUnits",
      requestId,
      units.map((unit) => unit.instanceId),
      "instanceId",
    );
    return units;
  }

  /**
   * Lists compute units, validating each one on its own: a unit that lacks a field comes back in
   * `invalid` (with the field) instead of failing the listing, so the caller's guards can decide.
   */
  async describeComputeUnitsChecked(filter: ComputeUnitFilter = {}): Promise<CheckedList<ComputeUnit>> {
    const { result, requestId } = await this.#call("DescribeComputeUnits", { ...filter }, RawUnitList);
    return {
      ...(await checkItemsInTurns(result.computeUnitInstanceList, ComputeUnitSchema, "instanceId", true)),
      requestId,
    };
  }

  /**
   * One compute unit, with its `serviceUsageList` read tolerantly ({@link readServiceUsage}); an
   * answer without the list gives none.
   */
  async describeComputeUnit(
    instanceId: string,
  ): Promise<{ unit: ComputeUnit; serviceUsage: ServiceUsage[]; serviceUsageListed: boolean }> {
    const { result } = await this.#call("DescribeComputeUnit", { instanceId }, DescribeComputeUnitResult);
    return {
      unit: result.computeUnitInstance,
      serviceUsage: readServiceUsage(result.serviceUsageList),
      serviceUsageListed: result.serviceUsageList !== undefined,
    };
  }

  /**
   * The compute units one service uses, with its replicas on each (DescribeComputeUnits on
   * `/v2/serviceresources`), each item validated on its own.
   */
  async describeServiceUnits(
    serviceId: string,
    filter: { paymentTiming?: "Prepaid" | "Postpaid" } = {},
  ): Promise<CheckedList<ServiceUnit>> {
    const { result, requestId } = await this.#call(
      SERVICE_UNITS_ACTION,
      { serviceId, ...filter },
      DescribeServiceUnitsResult,
    );
    return { ...checkItems(result.instances, ServiceUnitSchema, "instanceId", true), requestId };
  }

  /** One compute unit as one service uses it (DescribeComputeUnit on `/v2/serviceresources`). */
  async describeServiceUnit(serviceId: string, instanceId: string): Promise<ServiceUnit> {
    const { result } = await this.#call(
      SERVICE_UNIT_ACTION,
      { serviceId, instanceId },
      DescribeServiceUnitResult,
    );
    return result.instance;
  }

  /**
   * The replicas a service runs on a compute unit: `replicasCount` of the unit in the service's
   * `/v2/serviceresources` listing, 0 when the service does not use the unit. A listing whose entry
   * for the unit cannot be read fails: a guess at a replica count is never a reason to scale.
   */
  async serviceReplicasOn(serviceId: string, instanceId: string): Promise<number> {
    return replicasOnUnit(await this.describeServiceUnits(serviceId), serviceId, instanceId);
  }

  /** Releases a postpaid compute unit (seed 000); a unit already releasing or released is a success. */
  async releaseComputeUnit(instanceId: string): Promise<ActionOutcome> {
    return this.#idempotent("ReleaseComputeUnit", { instanceId }, async () => {
      const { unit } = await this.describeComputeUnit(instanceId);
      return UNIT_RELEASED.has(unit.status) ? `status ${unit.status}` : undefined;
    });
  }

  /** Sets (or, with no time, clears) a postpaid unit's automatic release time. */
  async setComputeUnitAutoRelease(instanceId: string, releaseTime?: string): Promise<ActionOutcome> {
    const body = releaseTime === undefined ? { instanceId } : { instanceId, releaseTime };
    const { requestId } = await this.#call("AutoReleaseComputeUnit", body, TrueResult);
    return { requestId, alreadyDone: false };
  }

  /** Buys compute units; a lost answer is resolved by listing, never by a blind resend. */
  async purchaseComputeUnit(request: PurchaseComputeUnitRequest): Promise<PurchaseOutcome> {
    const list = async () =>
      (await this.describeComputeUnits())
        .filter(
          (unit) =>
            unit.paymentTiming === request.billing.paymentTiming &&
            unit.type === request.computeUnitConfig.type &&
            unit.region === request.computeUnitConfig.region &&
            unit.totalComputeUnits === request.computeUnitCount,
        )
        .map((unit) => unit.instanceId);
    const { purchaseOnce } = await import("./purchase");
    return purchaseOnce(this.#purchaseContext(), "PurchaseComputeUnit", { ...request }, list);
  }

  /**
   * Every custom service, all pages of DescribeServices for each of {@link SERVICE_PROTOCOL_VERSIONS}:
   * a service on the newer protocol may be listed only when it is asked for. A service listed for
   * both is yielded once.
   */
  async *iterateServices(filter: ServiceFilter = {}): AsyncGenerator<Service> {
    const seen = new Set<string>();
    for (const protocolVersion of SERVICE_PROTOCOL_VERSIONS) {
      const pages = this.#paginate(
        "DescribeServices",
        { ...filter, protocolVersion },
        DescribeServicesResult,
        (r) => ({
          items: r.serviceList,
          pageInfo: r.pageInfo,
          idField: "serviceId",
          idOf: (s: Service) => s.serviceId,
        }),
      );
      for await (const service of pages) {
        if (seen.has(service.serviceId)) continue;
        seen.add(service.serviceId);
        yield service;
      }
    }
  }

  /** Collects {@link iterateServices}. */
  async describeServices(filter: ServiceFilter = {}): Promise<Service[]> {
    return collect(this.iterateServices(filter));
  }

  /** One custom service. */
  async describeService(serviceId: string): Promise<Service> {
    const { result } = await this.#call("DescribeService", { serviceId }, ServiceSchema);
    return result;
  }

  /**
   * Sets a service's replica count on one compute unit (seed 002); 0 removes the unit from the
   * service. A service already at the target is a success.
   */
  async scaleService(serviceId: string, instanceId: string, replicas: number): Promise<ActionOutcome> {
    return this.#idempotent(
      "ScaleService",
      { serviceId, instanceId, deploymentReplicasCount: replicas },
      async () => {
        const current = await this.serviceReplicasOn(serviceId, instanceId);
        return current === replicas ? `${current} replicas on ${instanceId}` : undefined;
      },
    );
  }

  /** TPM quota instances of one model (DescribeTPMResource); one invalid item fails the listing. */
  async describeTpmResources(
    model: string,
    filter: { paymentTiming?: string; instanceId?: string; status?: string } = {},
  ): Promise<TpmInstance[]> {
    const { result, requestId } = await this.#call(
      "DescribeTPMResource",
      { model, ...filter },
      DescribeTpmResourceResult,
    );
    assertUniqueIds(
      "DescribeTPMResource",
      requestId,
      result.instances.map((instance) => instance.instanceId),
      "instanceId",
    );
    return result.instances;
  }

  /**
   * TPM quota instances of one model, each validated on its own: an instance lacking a field, with
   * a status other than the documented three, or listed twice comes back in `invalid` (with its id
   * and field) instead of failing the listing. An invalid item proves nothing: not that the
   * instance is live, not that it is gone, not that it is someone else's.
   */
  async describeTpmResourcesChecked(
    model: string,
    filter: { paymentTiming?: string; instanceId?: string; status?: string } = {},
  ): Promise<CheckedList<TpmInstance>> {
    const { result, requestId } = await this.#call(
      "DescribeTPMResource",
      { model, ...filter },
      DescribeTpmResourceItems,
    );
    return { ...checkItems(result.instances, TpmInstanceSchema, "instanceId", true), requestId };
  }

  /**
   * Buys postpaid TPM quota (seed 003), optionally released by the platform at `releaseTime`.
   * A lost answer is resolved by listing, never by a blind resend: the purchase is an instanceId
   * that was not listed before it (`purchaseCount` is in no listing's documented fields, so it is
   * not matched on). An item that cannot be read is never taken for the purchase nor for its
   * absence: a listing with an item that has no instanceId, or with an unreadable instance that was
   * not listed before, fails, so a lost purchase stays unknown rather than adopted or bought again.
   */
  async purchaseTpm(request: {
    model: string;
    purchaseCount: number;
    releaseTime?: string;
  }): Promise<PurchaseOutcome> {
    const { purchaseTpm } = await import("./purchase");
    return purchaseTpm(this.#purchaseContext(), (model) => this.describeTpmResourcesChecked(model), request);
  }

  /**
   * Releases TPM quota; an instance already stopped or gone is a success. Only a readable item
   * showing Stopped, or no item with the id at all, confirms that after a failed request.
   */
  async releaseTpm(model: string, instanceId: string): Promise<ActionOutcome> {
    return this.#idempotent("ReleaseTPMResource", { model, instanceId }, async () => {
      const listing = await this.describeTpmResourcesChecked(model, { instanceId });
      const instance = listing.items.find((item) => item.instanceId === instanceId);
      if (instance) return TPM_ENDED.has(instance.status) ? `status ${instance.status}` : undefined;
      return listing.invalid.length === 0 ? "no longer listed" : undefined;
    });
  }

  /** Every batch inference task, all pages (DescribeBatchInferenceTasks). */
  iterateBatchTasks(filter: BatchTaskFilter = {}): AsyncGenerator<BatchTask> {
    return this.#paginate("DescribeBatchInferenceTasks", { ...filter }, DescribeBatchTasksResult, (r) => ({
      items: r.taskList,
      pageInfo: r.pageInfo,
      idField: "taskId",
      idOf: (t: BatchTask) => t.taskId,
    }));
  }

  /**
   * Every task on every page, each validated on its own: a task lacking a field, or listed twice,
   * comes back in `invalid` instead of failing the listing; a page that fails fails the whole
   * listing.
   */
  async describeBatchTasksChecked(filter: BatchTaskFilter = {}): Promise<CheckedList<BatchTask>> {
    let unnamed = 0;
    const raw = await collect(
      this.#paginate(
        "DescribeBatchInferenceTasks",
        { ...filter },
        RawTaskPage,
        (r) => ({
          items: r.taskList,
          pageInfo: r.pageInfo,
          idField: "taskId",
          idOf: (t: unknown) => {
            const id = (t as { taskId?: unknown } | null)?.taskId;
            return typeof id === "string" && id !== "" ? id : `(no taskId #${unnamed++})`;
          },
        }),
        "keep",
      ),
    );
    return checkItemsInTurns(raw, BatchTaskSchema, "taskId", true);
  }

  /** Collects {@link iterateBatchTasks}. */
  async describeBatchTasks(filter: BatchTaskFilter = {}): Promise<BatchTask[]> {
    return collect(this.iterateBatchTasks(filter));
  }

  /** One batch inference task. */
  async describeBatchTask(taskId: string): Promise<BatchTask> {
    const { result } = await this.#call("DescribeBatchInferenceTask", { taskId }, BatchTaskSchema);
    return result;
  }

  /** Stops a batch inference task (seed 004); one already stopping, stopped or finished is a success. */
  async stopBatchTask(taskId: string): Promise<ActionOutcome> {
    return this.#idempotent("StopBatchInferenceTask", { taskId }, async () => {
      const task = await this.describeBatchTask(taskId);
      return TASK_ENDED.has(task.runStatus) ? `runStatus ${task.runStatus}` : undefined;
    });
  }

  /**
   * Sends an idempotent change with retries. When it fails for good, the resource is looked at:
   * if it already shows the wanted state, that is the success the caller wanted.
   */
  async #idempotent(
    action: ActionName,
    body: Record<string, unknown>,
    alreadyDone: () => Promise<string | undefined>,
  ): Promise<ActionOutcome> {
    try {
      const { requestId } = await this.#call(action, body, TrueResult);
      return { requestId, alreadyDone: false };
    } catch (error) {
      if (!(error instanceof QianfanError)) throw error;
      if (error instanceof QianfanApiError && AUTH_CODES.has(error.code)) throw error;
      let observed: string | undefined;
      try {
        observed = await alreadyDone();
      } catch {
        throw error;
      }
      if (observed === undefined) throw error;
      return { requestId: error.requestId, alreadyDone: true, observed };
    }
  }

  /** What the purchases (./purchase, loaded with the first one) need of this api. */
  #purchaseContext(): PurchaseContext {
    return {
      call: (action, body, options) => this.#call(action, body, PurchaseResult, options),
      verification: this.#verification,
      maxPurchaseRequests: this.#maxPurchaseRequests,
      callDefaults: this.#callDefaults,
      sleep: this.#sleep,
    };
  }

  /**
   * Walks marker/maxKeys pages. Whatever the server answers, the walk ends: a repeated marker, an
   * empty page that says more follow, more than `maxPages` pages or `maxItems` items fail the
   * listing, and so does a repeated id unless `duplicates` is "keep" (the checked listings mark
   * those items invalid instead). Each page is checked before any of its items is yielded.
   */
  async *#paginate<S extends z.ZodMiniType, T>(
    action: ActionName,
    filter: Record<string, unknown>,
    schema: S,
    pick: (result: z.infer<S>) => {
      items: T[];
      pageInfo: PageInfo;
      idField: string;
      idOf: (item: T) => string;
    },
    duplicates: "fail" | "keep" = "fail",
  ): AsyncGenerator<T> {
    const seenMarkers = new Set<string>();
    const seenIds = new Set<string>();
    let marker: string | undefined;
    /** The id the page is expected to start with again: the marker, when it was the last id. */
    let overlapId: string | undefined;
    let pages = 0;
    let count = 0;
    for (;;) {
      const body =
        marker === undefined
          ? { ...filter, maxKeys: PAGE_MAX_KEYS }
          : { ...filter, marker, maxKeys: PAGE_MAX_KEYS };
      // The walk waits for each page in turn: a page does not queue behind the actions in line.
      const { result, requestId } = await this.#call(action, body, schema, { urgent: true });
      pages += 1;
      const picked = pick(result);
      const { pageInfo, idField, idOf } = picked;
      // A marker is the start of a page: a page asked for by the previous page's last id starts
      // with that item again. It was yielded already, so it is neither yielded nor counted twice.
      const items =
        overlapId !== undefined && picked.items.length > 0 && idOf(picked.items[0]!) === overlapId
          ? picked.items.slice(1)
          : picked.items;
      const invalid = (fields: string[], detail: string) =>
        new QianfanResponseError({ action, requestId, code: "InvalidListing", fields, detail });
      count += items.length;
      if (count > this.#maxItems) {
        throw invalid(
          ["result"],
          `more than ${this.#maxItems} items (maxItems) by page ${pages}; not trusted`,
        );
      }
      const ids = items.map(idOf);
      if (duplicates === "fail") assertUniqueIds(action, requestId, ids, idField, seenIds);
      let next: string | undefined;
      if (pageInfo.isTruncated) {
        if (items.length === 0) {
          throw invalid(
            ["result.pageInfo.isTruncated"],
            `an empty page says more follow (isTruncated with no items, marker ${marker ?? "none"})`,
          );
        }
        if (pages >= this.#maxPages) {
          throw invalid(
            ["result.pageInfo.isTruncated"],
            `more than ${this.#maxPages} pages (maxPages); not trusted`,
          );
        }
        next = nextPageMarker(pageInfo, ids);
        overlapId = pageInfo.nextMarker ? undefined : next;
        if (next === undefined || seenMarkers.has(next)) {
          throw invalid(
            ["result.pageInfo.nextMarker"],
            `the page says more follow but gives no new marker (marker ${marker ?? "none"})`,
          );
        }
        seenMarkers.add(next);
      }
      for (const item of items) yield item;
      if (next === undefined) return;
      marker = next;
    }
  }
}

/**
 * A service's replicas on one unit from its checked `/v2/serviceresources` listing: the unit's
 * `replicasCount`, 0 when the unit is not listed, and an error when the unit's entry is invalid.
 */
export function replicasOnUnit(
  listing: CheckedList<ServiceUnit>,
  serviceId: string,
  instanceId: string,
): number {
  const bad = listing.invalid.find((item) => item.id === instanceId || item.id === undefined);
  if (bad) {
    throw new QianfanResponseError({
      action: SERVICE_UNITS_ACTION,
      requestId: listing.requestId,
      code: "InvalidListing",
      fields: ["instances"],
      detail: `service ${serviceId}: ${bad.id ? `unit ${bad.id}` : `item ${bad.index}`} cannot be read (${bad.problem})`,
    });
  }
  return listing.items.find((unit) => unit.instanceId === instanceId)?.replicasCount ?? 0;
}

/**
 * Fails a listing that names one resource twice: the two entries may disagree, and acting on each
 * would act twice. `seen` carries the ids of earlier pages.
 */
function assertUniqueIds(
  action: string,
  requestId: string | undefined,
  ids: string[],
  idField: string,
  seen = new Set<string>(),
): void {
  for (const id of ids) {
    if (seen.has(id)) {
      throw new QianfanResponseError({
        action,
        requestId,
        code: "InvalidListing",
        fields: [idField],
        detail: `${idField} '${clipId(id)}' is listed more than once; a listing that repeats an id is not trusted`,
      });
    }
    seen.add(id);
  }
}

/** The value at `path` inside `value`, or undefined when any step is absent. */
export function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
}

function clipId(id: string): string {
  return id.length > 100 ? `${id.slice(0, 100)}…` : id;
}

/**
 * The marker of the next page: `pageInfo.nextMarker` when the platform sends it (preferred: it is
 * the platform's own word for where the next page starts). ASSUMPTION (paging): a page that says
 * more follow but gives no `nextMarker` is continued from the id of its last item; whether the
 * platform then starts the page at that item or after it is not documented, so the walk drops the
 * item when the next page starts with it again (see `#paginate`).
 */
export function nextPageMarker(pageInfo: PageInfo, ids: string[]): string | undefined {
  return pageInfo.nextMarker || ids.at(-1);
}

/** Collects an async iterable (Array.fromAsync needs Node 22). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
