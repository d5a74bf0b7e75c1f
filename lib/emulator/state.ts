import { randomBytes } from "node:crypto";
import type { EmulatorClock } from "./clock";
import { type ParsedFleet, resolveFleetTime } from "./fleet";

/** An error answer of the emulated platform. */
export class EmulatorError extends Error {
  override name = "EmulatorError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Unit {
  instanceId: string;
  region: string;
  status: string;
  type: string;
  totalComputeUnits: number;
  /** Use by anything but the emulated services (fleet `usedComputeUnits` minus deployments). */
  baselineUsed: number;
  paymentTiming: string;
  startTime: Date;
  expiredTime?: Date;
  releaseTime?: Date;
  reservationLength?: number;
  reservationTimeUnit?: string;
  creator: string;
  autoRenew?: { renewTime: number; renewTimeUnit: string };
  autoReleaseSkipped: boolean;
  /** When the current transitional status (Creating, Releasing) began. */
  since: Date;
}

interface Deployment {
  instanceId: string;
  replicas: number;
  computeUnitsPerReplica: number;
}

interface Service {
  serviceId: string;
  name: string;
  fixedStatus?: string;
  chargeType: string;
  payType: string;
  createTime: Date;
  updateTime: Date;
  creator: string;
  resourceType: string;
  qps: number;
  region: string;
  deployments: Deployment[];
  /** Compute units one replica takes; kept when the service leaves every unit. */
  unitsPerReplica: number;
}

interface Tpm {
  instanceId: string;
  model: string;
  paymentTiming: string;
  status: string;
  purchaseCount: number;
  startTime: Date;
  expiredTime?: Date;
  releaseTime?: Date;
  since: Date;
}

interface Task {
  taskId: string;
  name: string;
  description: string;
  endpoint?: string;
  modelId: string;
  runStatus: string;
  createTime: Date;
  startTime?: Date;
  finishTime?: Date;
  durationSeconds?: number;
  queueSeconds?: number;
  inputBosUri: string;
  outputBosUri: string;
  since: Date;
}

const iso = (d: Date | undefined) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : undefined);
const newId = (prefix: string) => `${prefix}-${randomBytes(5).toString("hex")}`;

/**
 * The emulated account: compute units, services deployed on them, TPM quota and batch inference
 * tasks, with the platform's state changes driven by the emulator clock (evaluated lazily on each
 * request).
 */
export class EmulatorState {
  readonly units: Unit[] = [];
  readonly services: Service[] = [];
  readonly tpm: Tpm[] = [];
  readonly tasks: Task[] = [];
  /** Releases the platform performed, for tests: including ones a careful tool should never ask for. */
  readonly releasedBusy: string[] = [];

  constructor(
    fleet: ParsedFleet,
    readonly clock: EmulatorClock,
    readonly transitionMs: number,
  ) {
    const at = clock.now();
    const t = (v: string) => resolveFleetTime(v, at);
    const deployed = new Map<string, number>();
    for (const s of fleet.services) {
      for (const d of s.deployments) {
        deployed.set(d.instanceId, (deployed.get(d.instanceId) ?? 0) + d.replicas * d.computeUnitsPerReplica);
      }
    }
    for (const u of fleet.computeUnits) {
      this.units.push({
        ...u,
        baselineUsed: u.usedComputeUnits - (deployed.get(u.instanceId) ?? 0),
        startTime: t(u.startTime),
        expiredTime: u.expiredTime ? t(u.expiredTime) : undefined,
        releaseTime: u.releaseTime ? t(u.releaseTime) : undefined,
        since: at,
      });
    }
    for (const s of fleet.services) {
      const createTime = t(s.createTime);
      this.services.push({
        ...s,
        fixedStatus: s.runStatus,
        createTime,
        updateTime: s.updateTime ? t(s.updateTime) : createTime,
        deployments: s.deployments.map((d) => ({ ...d })),
        unitsPerReplica: s.deployments[0]?.computeUnitsPerReplica ?? 1,
      });
    }
    for (const r of fleet.tpmResources) {
      this.tpm.push({
        ...r,
        startTime: t(r.startTime),
        expiredTime: r.expiredTime ? t(r.expiredTime) : undefined,
        releaseTime: r.releaseTime ? t(r.releaseTime) : undefined,
        since: at,
      });
    }
    for (const k of fleet.batchTasks) {
      const createTime = t(k.createTime);
      this.tasks.push({
        ...k,
        createTime,
        startTime: k.startTime ? t(k.startTime) : k.runStatus === "Running" ? createTime : undefined,
        finishTime: k.finishTime ? t(k.finishTime) : undefined,
        since: k.runStatus === "Queuing" ? createTime : at,
      });
    }
  }

  /** Applies every state change due by the clock's now. */
  settle(): void {
    const now = this.clock.now().getTime();
    const done = (since: Date) => since.getTime() + this.transitionMs <= now;
    for (const u of this.units) {
      if (u.status === "Creating" && done(u.since)) {
        u.status = "Running";
      }
      if (
        u.status === "Running" &&
        u.paymentTiming === "Postpaid" &&
        u.releaseTime &&
        u.releaseTime.getTime() <= now &&
        !u.autoReleaseSkipped
      ) {
        this.#beginRelease(u, u.releaseTime);
      }
      if (u.status === "Releasing" && done(u.since)) {
        u.status = "Released";
      }
    }
    for (let i = this.tpm.length - 1; i >= 0; i -= 1) {
      const r = this.tpm[i]!;
      if (r.status === "Creating" && done(r.since)) r.status = "Running";
      const gone =
        (r.releaseTime && r.releaseTime.getTime() <= now) || (r.status === "Stopped" && done(r.since));
      if (gone) this.tpm.splice(i, 1);
    }
    for (const k of this.tasks) {
      if (k.runStatus === "Queuing" && k.queueSeconds !== undefined) {
        const startAt = k.since.getTime() + k.queueSeconds * 1000;
        if (startAt <= now) {
          k.runStatus = "Running";
          k.startTime = new Date(startAt);
        }
      }
      if (k.runStatus === "Running" && k.durationSeconds !== undefined && k.startTime) {
        const endAt = k.startTime.getTime() + k.durationSeconds * 1000;
        if (endAt <= now) {
          k.runStatus = "Done";
          k.finishTime = new Date(endAt);
        }
      }
      if (k.runStatus === "Stopping" && done(k.since)) {
        k.runStatus = "Stopped";
        k.finishTime = new Date(k.since.getTime() + this.transitionMs);
      }
    }
  }

  #beginRelease(u: Unit, at: Date): void {
    if (this.#usedOf(u) > 0) this.releasedBusy.push(u.instanceId);
    u.status = "Releasing";
    u.since = at;
    u.baselineUsed = 0;
    for (const s of this.services) {
      const before = s.deployments.length;
      s.deployments = s.deployments.filter((d) => d.instanceId !== u.instanceId);
      if (s.deployments.length !== before) s.updateTime = at;
    }
  }

  /**
   * Where a service's replica count on a unit comes from: its deployment on that unit. The same
   * number feeds DescribeComputeUnit's serviceUsageList and DescribeService's deployments.
   */
  replicasOn(service: Service, instanceId: string): number {
    return service.deployments.find((d) => d.instanceId === instanceId)?.replicas ?? 0;
  }

  #usedOf(u: Unit): number {
    let used = u.baselineUsed;
    for (const s of this.services) {
      for (const d of s.deployments)
        if (d.instanceId === u.instanceId) used += d.replicas * d.computeUnitsPerReplica;
    }
    return used;
  }

  #unit(instanceId: string): Unit {
    const u = this.units.find((x) => x.instanceId === instanceId);
    if (!u) throw new EmulatorError(404, "InstanceNotFound", `compute unit ${instanceId} does not exist`);
    return u;
  }

  #service(serviceId: string): Service {
    const s = this.services.find((x) => x.serviceId === serviceId);
    if (!s) throw new EmulatorError(404, "ServiceNotFound", `service ${serviceId} does not exist`);
    return s;
  }

  #task(taskId: string): Task {
    const k = this.tasks.find((x) => x.taskId === taskId);
    if (!k) throw new EmulatorError(404, "TaskNotFound", `batch inference task ${taskId} does not exist`);
    return k;
  }

  unitView(u: Unit): Record<string, unknown> {
    return {
      instanceId: u.instanceId,
      region: u.region,
      status: u.status,
      type: u.type,
      totalComputeUnits: u.totalComputeUnits,
      usedComputeUnits: this.#usedOf(u),
      paymentTiming: u.paymentTiming,
      startTime: iso(u.startTime),
      expiredTime: iso(u.expiredTime),
      ...(u.paymentTiming === "Postpaid" && u.releaseTime ? { releaseTime: iso(u.releaseTime) } : {}),
      ...(u.paymentTiming === "Prepaid"
        ? {
            reservationLength: u.reservationLength ?? 1,
            reservationTimeUnit: u.reservationTimeUnit ?? "MONTH",
          }
        : {}),
      creator: u.creator,
      ...(u.autoRenew ? { autoRenew: u.autoRenew } : {}),
    };
  }

  serviceView(s: Service): Record<string, unknown> {
    const replicas = s.deployments.reduce((n, d) => n + d.replicas, 0);
    const runStatus =
      s.fixedStatus && ["New", "Deploying", "Failed"].includes(s.fixedStatus)
        ? s.fixedStatus
        : replicas > 0
          ? "Serving"
          : "Stopped";
    return {
      serviceId: s.serviceId,
      name: s.name,
      runStatus,
      chargeType: s.chargeType,
      payType: s.payType,
      createTime: iso(s.createTime),
      updateTime: iso(s.updateTime),
      creator: s.creator,
      resourceConfig: { type: s.resourceType, qps: s.qps, replicasCount: replicas, region: s.region },
      deployments: s.deployments.map((d) => ({
        instanceId: d.instanceId,
        deploymentReplicasCount: d.replicas,
        computeUnitsPerReplica: d.computeUnitsPerReplica,
      })),
    };
  }

  tpmView(r: Tpm): Record<string, unknown> {
    const perUnit = 10_000;
    return {
      instanceId: r.instanceId,
      paymentTiming: r.paymentTiming,
      rpm: r.purchaseCount * 60,
      tpm: r.purchaseCount * perUnit,
      status: r.status,
      startTime: iso(r.startTime),
      expiredTime: iso(r.expiredTime ?? r.releaseTime),
      purchaseCount: r.purchaseCount,
      ...(r.releaseTime ? { releaseTime: iso(r.releaseTime) } : {}),
    };
  }

  taskView(k: Task): Record<string, unknown> {
    return {
      taskId: k.taskId,
      name: k.name,
      description: k.description,
      endpoint: k.endpoint ?? `/ep-${k.modelId}`,
      modelId: k.modelId,
      runStatus: k.runStatus,
      createTime: iso(k.createTime),
      ...(k.startTime ? { startTime: iso(k.startTime) } : {}),
      ...(k.finishTime ? { finishTime: iso(k.finishTime) } : {}),
      inputBosUri: k.inputBosUri,
      outputBosUri: k.outputBosUri,
    };
  }

  // ---- actions -------------------------------------------------------------------------------

  describeComputeUnits(filter: { region?: string; paymentTiming?: string; type?: string }) {
    const list = this.units.filter(
      (u) =>
        (!filter.region || u.region === filter.region) &&
        (!filter.paymentTiming || u.paymentTiming === filter.paymentTiming) &&
        (!filter.type || u.type === filter.type),
    );
    return { computeUnitInstanceList: list.map((u) => this.unitView(u)) };
  }

  describeComputeUnit(instanceId: string) {
    const u = this.#unit(instanceId);
    const serviceUsageList = this.services
      .filter((s) => s.deployments.some((d) => d.instanceId === instanceId))
      .map((s) => {
        const d = s.deployments.find((x) => x.instanceId === instanceId)!;
        return {
          serviceId: s.serviceId,
          name: s.name,
          deploymentReplicasCount: this.replicasOn(s, instanceId),
          usedComputeUnits: d.replicas * d.computeUnitsPerReplica,
        };
      });
    return { computeUnitInstance: this.unitView(u), serviceUsageList };
  }

  releaseComputeUnit(instanceId: string) {
    const u = this.#unit(instanceId);
    if (u.paymentTiming !== "Postpaid") {
      throw new EmulatorError(
        400,
        "OperationNotAllowed",
        `compute unit ${instanceId} is prepaid and cannot be released`,
      );
    }
    if (u.status !== "Running") {
      throw new EmulatorError(400, "InvalidInstanceStatus", `compute unit ${instanceId} is ${u.status}`);
    }
    this.#beginRelease(u, this.clock.now());
    return true;
  }

  autoReleaseComputeUnit(instanceId: string, releaseTime: Date | undefined) {
    const u = this.#unit(instanceId);
    if (u.paymentTiming !== "Postpaid") {
      throw new EmulatorError(400, "OperationNotAllowed", `compute unit ${instanceId} is prepaid`);
    }
    if (u.status !== "Running")
      throw new EmulatorError(400, "InvalidInstanceStatus", `compute unit ${instanceId} is ${u.status}`);
    u.releaseTime = releaseTime;
    return true;
  }

  purchaseComputeUnit(body: {
    computeUnitCount: number;
    billing: { paymentTiming: string; releaseTime?: Date };
    computeUnitConfig: { region: string; type: string };
  }) {
    const now = this.clock.now();
    const instanceId = newId("unit");
    this.units.push({
      instanceId,
      region: body.computeUnitConfig.region,
      status: "Creating",
      type: body.computeUnitConfig.type,
      totalComputeUnits: body.computeUnitCount,
      baselineUsed: 0,
      paymentTiming: body.billing.paymentTiming,
      startTime: now,
      releaseTime: body.billing.releaseTime,
      creator: "emulator-user",
      autoReleaseSkipped: false,
      since: now,
    });
    return { instanceId };
  }

  describeServices(filter: { name?: string; runStatus?: string[]; creator?: string[] }) {
    return this.services
      .map((s) => this.serviceView(s))
      .filter(
        (v) =>
          (!filter.name || String(v.name).includes(filter.name)) &&
          (!filter.runStatus || filter.runStatus.includes(String(v.runStatus))) &&
          (!filter.creator || filter.creator.includes(String(v.creator))),
      );
  }

  describeService(serviceId: string) {
    return this.serviceView(this.#service(serviceId));
  }

  scaleService(serviceId: string, instanceId: string, replicas: number) {
    const s = this.#service(serviceId);
    const u = this.#unit(instanceId);
    if (u.status !== "Running")
      throw new EmulatorError(400, "InvalidInstanceStatus", `compute unit ${instanceId} is ${u.status}`);
    const existing = s.deployments.find((d) => d.instanceId === instanceId);
    const perReplica = existing?.computeUnitsPerReplica ?? s.unitsPerReplica;
    const current = existing?.replicas ?? 0;
    const extra = (replicas - current) * perReplica;
    const free = u.totalComputeUnits - this.#usedOf(u);
    if (extra > free) {
      throw new EmulatorError(
        400,
        "InsufficientComputeUnits",
        `compute unit ${instanceId} has ${free} free compute units; ${replicas} replicas of ${serviceId} need ${extra} more`,
      );
    }
    if (replicas === 0) s.deployments = s.deployments.filter((d) => d.instanceId !== instanceId);
    else if (existing) existing.replicas = replicas;
    else s.deployments.push({ instanceId, replicas, computeUnitsPerReplica: perReplica });
    s.updateTime = this.clock.now();
    return true;
  }

  purchaseTpm(body: { model: string; purchaseCount: number; releaseTime?: Date }) {
    const now = this.clock.now();
    const instanceId = newId("tpm");
    this.tpm.push({
      instanceId,
      model: body.model,
      paymentTiming: "Postpaid",
      status: "Creating",
      purchaseCount: body.purchaseCount,
      startTime: now,
      releaseTime: body.releaseTime,
      since: now,
    });
    return { instanceId };
  }

  describeTpm(filter: { model: string; paymentTiming?: string; instanceId?: string; status?: string }) {
    const instances = this.tpm
      .filter(
        (r) =>
          r.model === filter.model &&
          (!filter.paymentTiming || r.paymentTiming === filter.paymentTiming) &&
          (!filter.instanceId || r.instanceId === filter.instanceId) &&
          (!filter.status || r.status === filter.status),
      )
      .map((r) => this.tpmView(r));
    return { instances };
  }

  releaseTpm(model: string, instanceId: string) {
    const r = this.tpm.find((x) => x.instanceId === instanceId && x.model === model);
    if (!r)
      throw new EmulatorError(
        404,
        "InstanceNotFound",
        `TPM instance ${instanceId} of ${model} does not exist`,
      );
    if (r.status !== "Running")
      throw new EmulatorError(400, "InvalidInstanceStatus", `TPM instance ${instanceId} is ${r.status}`);
    r.status = "Stopped";
    r.since = this.clock.now();
    return true;
  }

  describeTasks(filter: { runStatus?: string[] }) {
    return this.tasks
      .filter((k) => !filter.runStatus || filter.runStatus.includes(k.runStatus))
      .map((k) => this.taskView(k));
  }

  describeTask(taskId: string) {
    return this.taskView(this.#task(taskId));
  }

  stopTask(taskId: string) {
    const k = this.#task(taskId);
    if (k.runStatus !== "Running" && k.runStatus !== "Queuing") {
      throw new EmulatorError(400, "InvalidTaskStatus", `batch inference task ${taskId} is ${k.runStatus}`);
    }
    k.runStatus = "Stopping";
    k.since = this.clock.now();
    return true;
  }
}
