import { randomBytes } from "node:crypto";
import type {
  PAYMENT_TIMINGS,
  SERVICE_RUN_STATUSES,
  TASK_RUN_STATUSES,
  TPM_STATUSES,
  UNIT_STATUSES,
} from "../qianfan/actions";
import type { EmulatorClock } from "./clock";
import { EmulatorError } from "./errors";
import { type ParsedFleet, resolveFleetTime } from "./fleet";

type PaymentTiming = (typeof PAYMENT_TIMINGS)[number];
type UnitStatus = (typeof UNIT_STATUSES)[number];
type TaskRunStatus = (typeof TASK_RUN_STATUSES)[number];

export interface UnitRecord {
  instanceId: string;
  region: string;
  status: UnitStatus;
  type: string;
  totalComputeUnits: number;
  /** Compute units used by anything but the emulated services (fleet usedComputeUnits minus deployments). */
  baselineUsed: number;
  paymentTiming: PaymentTiming;
  startTime: Date;
  expiredTime?: Date;
  releaseTime?: Date;
  reservationLength?: number;
  reservationTimeUnit?: string;
  creator: string;
  autoRenew?: { renewTime: number; renewTimeUnit: string };
  /** The platform's automatic release does not happen for this unit (the incident the tool cleans up). */
  autoReleaseSkipped: boolean;
  /** A purchase shows in listings only from here on (an eventually consistent listing). */
  listedFrom?: Date;
  /** When the current status began; Creating and Releasing end `transitionMs` after it. */
  since: Date;
}

export interface DeploymentRecord {
  instanceId: string;
  replicas: number;
  computeUnitsPerReplica: number;
}

export interface ServiceRecord {
  serviceId: string;
  name: string;
  /** A status the fleet pins (New, Deploying, Failed); otherwise it follows the replicas. */
  pinnedStatus?: (typeof SERVICE_RUN_STATUSES)[number];
  serviceType: string;
  chargeType: string;
  payType: string;
  createTime: Date;
  updateTime: Date;
  creator: string;
  resourceType: string;
  qps: number;
  region: string;
  protocolVersion: 1 | 2;
  deployments: DeploymentRecord[];
  /** Compute units one replica takes on a unit it is not yet deployed on. */
  unitsPerReplica: number;
}

export interface TpmRecord {
  instanceId: string;
  model: string;
  paymentTiming: PaymentTiming;
  status: (typeof TPM_STATUSES)[number];
  purchaseCount: number;
  startTime: Date;
  expiredTime?: Date;
  releaseTime?: Date;
  since: Date;
  /** A purchase shows in listings only from here on (an eventually consistent listing). */
  listedFrom?: Date;
}

export interface TaskRecord {
  taskId: string;
  name: string;
  description: string;
  endpoint?: string;
  modelId: string;
  runStatus: TaskRunStatus;
  createTime: Date;
  startTime?: Date;
  finishTime?: Date;
  /** How long the task runs once started; absent: until stopped. */
  durationSeconds?: number;
  /** How long it queues after createTime; absent: until stopped. */
  queueSeconds?: number;
  inputBosUri: string;
  outputBosUri: string;
  since: Date;
}

/** A unit the platform released while services still ran on it: allowed, but a tool should never ask for it. */
export interface BusyRelease {
  instanceId: string;
  at: Date;
  usedComputeUnits: number;
  serviceIds: string[];
  cause: "ReleaseComputeUnit" | "releaseTime" | "expiredTime";
}

const MONTH_UNITS: Record<string, number> = { MONTH: 1, YEAR: 12 };

/** A record that may change by the clock at `at` (a hint: it is looked at again then). */
interface Due {
  at: number;
  seq: number;
  kind: "unit" | "task";
  record: UnitRecord | TaskRecord;
}

/** A binary min-heap of {@link Due} by time, then by the order they were scheduled. */
class DueQueue {
  readonly #heap: Due[] = [];
  #seq = 0;

  push(at: number, kind: Due["kind"], record: Due["record"]): void {
    const heap = this.#heap;
    heap.push({ at, seq: this.#seq++, kind, record });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Removes and returns every entry due by `now`. */
  popDue(now: number): Due[] {
    const out: Due[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) out.push(this.#pop());
    return out;
  }

  #pop(): Due {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Due, b: Due) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

/**
 * The emulated account: compute units, services deployed on them, TPM quota and batch inference
 * tasks. Clock-driven changes are applied lazily by {@link EmulatorState.settle}, which the server
 * calls before every action. Records are indexed by id and by the unit a service is deployed on,
 * and a settle touches only the records whose next change is due, so a request costs the same on
 * a fleet of 50,000 units as on one of ten. The arrays are for reading; changes go through the
 * methods here (`addUnit`, `setDeployment`, `beginRelease`, `scheduleUnit`, …), which keep the
 * indexes and the due queue right.
 */
export class EmulatorState {
  readonly units: UnitRecord[] = [];
  readonly services: ServiceRecord[] = [];
  readonly tpm: TpmRecord[] = [];
  readonly tasks: TaskRecord[] = [];
  readonly busyReleases: BusyRelease[] = [];
  readonly #unitsById = new Map<string, UnitRecord>();
  readonly #servicesById = new Map<string, ServiceRecord>();
  readonly #tasksById = new Map<string, TaskRecord>();
  /** Position in its array, to keep the platform's listing order and to find a page's marker. */
  readonly #position = new WeakMap<object, number>();
  /** Unit id → the services with a deployment on it. */
  readonly #servicesOnUnit = new Map<string, Set<ServiceRecord>>();
  readonly #due = new DueQueue();
  /**
   * How long a purchase stays out of the listings (emulator-clock ms): the platform's listing lags
   * behind its purchases, so a lost purchase answer cannot be settled by one quick look.
   */
  listingLagMs = 0;

  constructor(
    fleet: ParsedFleet,
    readonly clock: EmulatorClock,
    readonly transitionMs: number,
  ) {
    const loadedAt = clock.now();
    const time = (value: string) => resolveFleetTime(value, loadedAt);
    const optionalTime = (value: string | undefined) => (value === undefined ? undefined : time(value));

    for (const s of fleet.services) {
      const createTime = time(s.createTime);
      this.#addService({
        serviceId: s.serviceId,
        name: s.name,
        pinnedStatus: s.runStatus === "Serving" || s.runStatus === "Stopped" ? undefined : s.runStatus,
        serviceType: s.serviceType,
        chargeType: s.chargeType,
        payType: s.payType,
        createTime,
        updateTime: optionalTime(s.updateTime) ?? createTime,
        creator: s.creator,
        resourceType: s.resourceType,
        qps: s.qps,
        region: s.region,
        protocolVersion: s.protocolVersion,
        deployments: s.deployments.map((d) => ({ ...d })),
        unitsPerReplica: s.deployments[0]?.computeUnitsPerReplica ?? s.computeUnitsPerReplica,
      });
    }
    for (const u of fleet.computeUnits) {
      // Field by field, not by spreading the fleet's unit over the times: records made that way
      // are slow-mode objects, and a listing of 10k of them took 30 ms instead of 2.
      const unit = this.addUnit({
        instanceId: u.instanceId,
        region: u.region,
        status: u.status,
        type: u.type,
        totalComputeUnits: u.totalComputeUnits,
        baselineUsed: 0,
        paymentTiming: u.paymentTiming,
        startTime: time(u.startTime),
        expiredTime: optionalTime(u.expiredTime),
        releaseTime: optionalTime(u.releaseTime),
        reservationLength: u.reservationLength,
        reservationTimeUnit: u.reservationTimeUnit,
        creator: u.creator,
        autoRenew: u.autoRenew,
        autoReleaseSkipped: u.autoReleaseSkipped,
        since: loadedAt,
      });
      // The fleet states the total in use; what the services do not account for is the baseline.
      unit.baselineUsed = u.usedComputeUnits - this.usedComputeUnits(unit);
    }
    for (const r of fleet.tpmResources) {
      this.tpm.push({
        ...r,
        startTime: time(r.startTime),
        expiredTime: optionalTime(r.expiredTime),
        releaseTime: optionalTime(r.releaseTime),
        since: loadedAt,
      });
    }
    for (const k of fleet.batchTasks) {
      const createTime = time(k.createTime);
      const task: TaskRecord = {
        ...k,
        createTime,
        startTime: optionalTime(k.startTime) ?? (k.runStatus === "Running" ? createTime : undefined),
        finishTime: optionalTime(k.finishTime),
        since: k.runStatus === "Queuing" ? createTime : loadedAt,
      };
      this.#position.set(task, this.tasks.length);
      this.tasks.push(task);
      this.#tasksById.set(task.taskId, task);
      this.scheduleTask(task);
    }
  }

  /** Adds a compute unit (a fleet's or a purchase) and schedules its clock-driven changes. */
  addUnit(unit: UnitRecord): UnitRecord {
    this.#position.set(unit, this.units.length);
    this.units.push(unit);
    this.#unitsById.set(unit.instanceId, unit);
    this.scheduleUnit(unit);
    return unit;
  }

  #addService(service: ServiceRecord): void {
    this.#position.set(service, this.services.length);
    this.services.push(service);
    this.#servicesById.set(service.serviceId, service);
    for (const d of service.deployments) this.#onUnit(d.instanceId).add(service);
  }

  #onUnit(instanceId: string): Set<ServiceRecord> {
    let set = this.#servicesOnUnit.get(instanceId);
    if (!set) {
      set = new Set();
      this.#servicesOnUnit.set(instanceId, set);
    }
    return set;
  }

  /**
   * Sets a service's replicas on one unit: 0 removes its deployment there, more adds or changes
   * it (`computeUnitsPerReplica` for a new one).
   */
  setDeployment(
    service: ServiceRecord,
    instanceId: string,
    replicas: number,
    computeUnitsPerReplica: number,
  ): void {
    const deployment = service.deployments.find((d) => d.instanceId === instanceId);
    if (replicas === 0) {
      service.deployments = service.deployments.filter((d) => d.instanceId !== instanceId);
      this.#servicesOnUnit.get(instanceId)?.delete(service);
    } else if (deployment) {
      deployment.replicas = replicas;
    } else {
      service.deployments.push({ instanceId, replicas, computeUnitsPerReplica });
      this.#onUnit(instanceId).add(service);
    }
  }

  /** Looks at a unit again when its next clock-driven change is due; call after changing it. */
  scheduleUnit(u: UnitRecord): void {
    const at = this.#nextUnitChange(u);
    if (at !== undefined) this.#due.push(at, "unit", u);
  }

  /** Looks at a task again when its next clock-driven change is due; call after changing it. */
  scheduleTask(k: TaskRecord): void {
    const at = this.#nextTaskChange(k);
    if (at !== undefined) this.#due.push(at, "task", k);
  }

  #nextUnitChange(u: UnitRecord): number | undefined {
    if (u.status === "Creating" || u.status === "Releasing") return this.#transitionEnd(u.since);
    if (u.status !== "Running") return undefined;
    if (u.paymentTiming === "Prepaid") return u.expiredTime?.getTime();
    if (u.releaseTime && !u.autoReleaseSkipped) return u.releaseTime.getTime();
    return undefined;
  }

  #nextTaskChange(k: TaskRecord): number | undefined {
    if (k.runStatus === "Queuing" && k.queueSeconds !== undefined)
      return k.since.getTime() + k.queueSeconds * 1000;
    if (k.runStatus === "Running" && k.durationSeconds !== undefined && k.startTime)
      return k.startTime.getTime() + k.durationSeconds * 1000;
    if (k.runStatus === "Stopping") return this.#transitionEnd(k.since);
    return undefined;
  }

  /** When a purchase made now first shows in the listings. */
  listedFromNow(): Date | undefined {
    return this.listingLagMs > 0 ? new Date(this.clock.now().getTime() + this.listingLagMs) : undefined;
  }

  /** True when a listing shows the record now (its purchase is no longer lagging). */
  isListed(record: { listedFrom?: Date }, nowMs = this.clock.now().getTime()): boolean {
    return !record.listedFrom || record.listedFrom.getTime() <= nowMs;
  }

  /**
   * Applies every state change due by the clock's now, in the order the platform would make them:
   * units (in listing order), then TPM quota, then tasks. Only the records whose change is due are
   * looked at; each is then scheduled again for its next change.
   */
  settle(): void {
    const now = this.clock.now().getTime();
    const due = this.#due.popDue(now);
    const units = new Set<UnitRecord>();
    const tasks = new Set<TaskRecord>();
    for (const d of due) {
      if (d.kind === "unit") units.add(d.record as UnitRecord);
      else tasks.add(d.record as TaskRecord);
    }
    for (const unit of this.#inOrder(units)) {
      this.#settleUnit(unit, now);
      this.scheduleUnit(unit);
    }
    for (let i = this.tpm.length - 1; i >= 0; i -= 1) {
      const r = this.tpm[i]!;
      if (r.status === "Creating" && this.#transitionEnd(r.since) <= now) {
        r.status = "Running";
        r.since = new Date(this.#transitionEnd(r.since));
      }
      const pastRelease = r.releaseTime !== undefined && r.releaseTime.getTime() <= now;
      const stoppedLongEnough = r.status === "Stopped" && this.#transitionEnd(r.since) <= now;
      if (pastRelease || stoppedLongEnough) this.tpm.splice(i, 1);
    }
    for (const task of this.#inOrder(tasks)) {
      this.#settleTask(task, now);
      this.scheduleTask(task);
    }
  }

  #inOrder<T extends object>(records: Set<T>): T[] {
    return [...records].sort((a, b) => this.#position.get(a)! - this.#position.get(b)!);
  }

  /** Where a listed record's id sits in its array (a page's marker), or -1. */
  positionOf(kind: "unit" | "service" | "task", id: string): number {
    const index =
      kind === "unit" ? this.#unitsById : kind === "service" ? this.#servicesById : this.#tasksById;
    const record = index.get(id);
    return record ? this.#position.get(record)! : -1;
  }

  #settleUnit(u: UnitRecord, now: number): void {
    if (u.status === "Creating" && this.#transitionEnd(u.since) <= now) {
      u.status = "Running";
      u.since = new Date(this.#transitionEnd(u.since));
    }
    if (u.status === "Running" && u.paymentTiming === "Prepaid" && u.expiredTime) {
      if (u.autoRenew) {
        while (u.expiredTime.getTime() <= now)
          u.expiredTime = addMonths(u.expiredTime, renewMonths(u.autoRenew));
      } else if (u.expiredTime.getTime() <= now) {
        this.beginRelease(u, u.expiredTime, "expiredTime");
      }
    }
    if (
      u.status === "Running" &&
      u.paymentTiming === "Postpaid" &&
      u.releaseTime &&
      u.releaseTime.getTime() <= now &&
      !u.autoReleaseSkipped
    ) {
      this.beginRelease(u, new Date(Math.max(u.releaseTime.getTime(), u.since.getTime())), "releaseTime");
    }
    if (u.status === "Releasing" && this.#transitionEnd(u.since) <= now) {
      u.status = "Released";
      u.since = new Date(this.#transitionEnd(u.since));
    }
  }

  #settleTask(k: TaskRecord, now: number): void {
    if (k.runStatus === "Queuing" && k.queueSeconds !== undefined) {
      const startAt = k.since.getTime() + k.queueSeconds * 1000;
      if (startAt <= now) {
        k.runStatus = "Running";
        k.startTime = new Date(startAt);
        k.since = k.startTime;
      }
    }
    if (k.runStatus === "Running" && k.durationSeconds !== undefined && k.startTime) {
      const endAt = k.startTime.getTime() + k.durationSeconds * 1000;
      if (endAt <= now) {
        k.runStatus = "Done";
        k.finishTime = new Date(endAt);
      }
    }
    if (k.runStatus === "Stopping" && this.#transitionEnd(k.since) <= now) {
      k.runStatus = "Stopped";
      k.finishTime = new Date(this.#transitionEnd(k.since));
    }
  }

  #transitionEnd(since: Date): number {
    return since.getTime() + this.transitionMs;
  }

  /**
   * Starts releasing a unit: it goes Releasing and every service loses its deployment there. The
   * platform does this even while services run on it; such releases are kept in `busyReleases`.
   */
  beginRelease(u: UnitRecord, at: Date, cause: BusyRelease["cause"]): void {
    const used = this.usedComputeUnits(u);
    const serviceIds = this.servicesOn(u.instanceId).map((s) => s.serviceId);
    if (used > 0)
      this.busyReleases.push({ instanceId: u.instanceId, at, usedComputeUnits: used, serviceIds, cause });
    u.status = "Releasing";
    u.since = at;
    u.baselineUsed = 0;
    for (const s of this.servicesOn(u.instanceId)) {
      this.setDeployment(s, u.instanceId, 0, 0);
      s.updateTime = at;
    }
    this.scheduleUnit(u);
  }

  /**
   * Where a replica count comes from: a service's deployment on one unit, or on all its units when
   * none is named. DescribeService, DescribeComputeUnit's serviceUsageList and a unit's
   * usedComputeUnits all read it, so they cannot disagree.
   */
  replicasOn(service: ServiceRecord, instanceId?: string): number {
    let replicas = 0;
    for (const d of service.deployments) {
      if (instanceId === undefined || d.instanceId === instanceId) replicas += d.replicas;
    }
    return replicas;
  }

  /** Compute units a service takes on one unit. */
  computeUnitsOf(service: ServiceRecord, instanceId: string): number {
    const deployment = service.deployments.find((d) => d.instanceId === instanceId);
    return deployment ? this.replicasOn(service, instanceId) * deployment.computeUnitsPerReplica : 0;
  }

  /** A unit's usedComputeUnits: its baseline plus what the services deployed on it take. */
  usedComputeUnits(u: UnitRecord): number {
    return this.servicesOn(u.instanceId).reduce(
      (used, s) => used + this.computeUnitsOf(s, u.instanceId),
      u.baselineUsed,
    );
  }

  /** The services with a deployment on a unit, in listing order. */
  servicesOn(instanceId: string): ServiceRecord[] {
    const on = this.#servicesOnUnit.get(instanceId);
    return on ? this.#inOrder(on) : [];
  }

  /** The unit with this id, if there is one. */
  unitById(instanceId: string): UnitRecord | undefined {
    return this.#unitsById.get(instanceId);
  }

  findUnit(instanceId: string): UnitRecord {
    const u = this.#unitsById.get(instanceId);
    if (!u) throw new EmulatorError("InstanceNotFound", `compute unit ${instanceId} does not exist`);
    return u;
  }

  findService(serviceId: string): ServiceRecord {
    const s = this.#servicesById.get(serviceId);
    if (!s) throw new EmulatorError("ServiceNotFound", `service ${serviceId} does not exist`);
    return s;
  }

  findTask(taskId: string): TaskRecord {
    const k = this.#tasksById.get(taskId);
    if (!k) throw new EmulatorError("TaskNotFound", `batch inference task ${taskId} does not exist`);
    return k;
  }

  findTpm(model: string, instanceId: string): TpmRecord {
    const r = this.tpm.find((x) => x.instanceId === instanceId && x.model === model);
    if (!r)
      throw new EmulatorError("InstanceNotFound", `TPM instance ${instanceId} of ${model} does not exist`);
    return r;
  }
}

/** A fresh instance id in the platform's style ("unit-…", "tpm-…"). */
export function newInstanceId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

/** Adds calendar months in UTC, as a monthly reservation runs. */
export function addMonths(date: Date, months: number): Date {
  const next = new Date(date);
  next.setUTCMonth(next.getUTCMonth() + months);
  return next;
}

/** Months per reservation or renewal: `MONTH` or `YEAR` times the length (default one month). */
export function renewMonths(term: { renewTime?: number; renewTimeUnit?: string }): number {
  return Math.max(1, term.renewTime ?? 1) * (MONTH_UNITS[term.renewTimeUnit?.toUpperCase() ?? "MONTH"] ?? 1);
}
