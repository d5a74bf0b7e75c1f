import {
  ACTIONS,
  type ActionName,
  BatchTaskSchema,
  ComputeUnitSchema,
  checkItems,
  isQianfanError,
  type QianfanApi,
  QianfanApiError,
  type QianfanError,
  readServiceUsage,
  SERVICE_PROTOCOL_VERSIONS,
  SERVICE_UNIT_ACTION,
  SERVICE_UNITS_ACTION,
  ServiceSchema,
  ServiceUnitSchema,
  TpmInstanceSchema,
} from "../qianfan";
import { ASSUMPTIONS, type AssumptionId } from "../qianfan/assumptions";
import { plural } from "../text";
import * as z from "../validation";
import { DOCTOR_DEFAULT_MODEL, ResponseDates } from "./inputs";

export { DOCTOR_DEFAULT_MODEL, ResponseDates };

/** One thing the doctor looked at. */
export interface DoctorCheck {
  /** `signature`, `clock`, an action key, or an assumption id. */
  id: string;
  group: "access" | "permission" | "assumption";
  /** pass: held; fail: did not hold (exit code 1); warn: works, worth knowing; info: not checked. */
  status: "pass" | "fail" | "warn" | "info";
  title: string;
  detail: string;
  requestId?: string;
}

export interface DoctorReport {
  target: string;
  emulated: boolean;
  checkedAt: string;
  checks: DoctorCheck[];
  totals: Record<DoctorCheck["status"], number>;
  /** True when no check failed. */
  ok: boolean;
}

export interface DoctorInput {
  api: QianfanApi;
  target: string;
  emulated: boolean;
  /** The access key id in use (shown shortened; the secret is never seen here). */
  accessKeyId?: string;
  /** Models to look up TPM quota for (the config's windows; a current model when none). */
  models: readonly string[];
  responses: ResponseDates;
  now: () => Date;
}

/** Policies that allow looking, and acting (Baidu IAM system policies named on the API pages). */
export const READ_POLICIES = [
  "QianfanServiceReadAccessPolicy",
  "QianfanServiceOperateAccessPolicy",
  "QianfanFullControlAccessPolicy",
] as const;
export const ACT_POLICIES = ["QianfanServiceOperateAccessPolicy", "QianfanFullControlAccessPolicy"] as const;

/** Which job needs each changing action; doctor never sends them. */
const MUTATING_USE: Partial<Record<ActionName, string>> = {
  ReleaseComputeUnit: "release-units",
  AutoReleaseComputeUnit: "release-units (setting an automatic release time)",
  ScaleService: "scale-services",
  PurchaseTPMResource:
    "tpm-windows; a purchase also switches the model's billing to TPM quota and bills the account for it",
  ReleaseTPMResource: "tpm-windows",
  StopBatchInferenceTask: "stop-batch-tasks",
  PurchaseComputeUnit: "no job (the library can buy compute units; the jobs never do)",
};

const CLOCK_WARN_MS = 60_000;
/** bce-auth-v1 requests signed this far off the platform's clock are refused (RequestExpired). */
const CLOCK_FAIL_MS = 15 * 60_000;
/** Key or signature problems: nothing else can be checked after one of these. */
const STOP_CODES = new Set(["InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestExpired"]);

type Probe = { ok: true; result: unknown; requestId?: string } | { ok: false; error: QianfanError };

/**
 * Checks a Qianfan account before a first run, changing nothing: the key pair, the clock, each
 * action the jobs use (listing calls only; changing ones are named with the policy they need), and
 * every assumption in {@link ASSUMPTIONS} that an answer can show.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => checks.push(check);
  const probes = new Map<string, Probe>();
  const probe = async (
    action: ActionName,
    body: Record<string, unknown>,
    label: string = action,
  ): Promise<Probe> => {
    let outcome: Probe;
    try {
      const { result, requestId } = await input.api.client.call(action, body, z.unknown(), { retry: "all" });
      outcome = { ok: true, result, requestId };
    } catch (error) {
      if (!isQianfanError(error)) throw error;
      outcome = { ok: false, error };
    }
    if (!probes.has(label)) probes.set(label, outcome);
    return outcome;
  };

  const first = await probe("DescribeComputeUnits", {});
  add(signatureCheck(first, input.accessKeyId));
  add(clockCheck(input.responses, first));
  // Nothing else can pass with a refused key or signature, or with no answer at all.
  if (!first.ok && (STOP_CODES.has(errorCode(first.error)) || !(first.error instanceof QianfanApiError))) {
    return finish(input, checks);
  }

  // Listings, each a harmless call that also shows an answer's shape.
  const units = first.ok ? asList(first.result, "computeUnitInstanceList") : undefined;
  const serviceAnswers = [] as Array<{ version: number; probe: Probe }>;
  for (const protocolVersion of SERVICE_PROTOCOL_VERSIONS) {
    serviceAnswers.push({
      version: protocolVersion,
      probe: await probe(
        "DescribeServices",
        { protocolVersion, maxKeys: 100 },
        `DescribeServices v${protocolVersion}`,
      ),
    });
  }
  const services = serviceAnswers.flatMap(({ probe: p }) =>
    p.ok ? ((asList(p.result, "serviceList") ?? []) as unknown[]) : [],
  );
  const serviceIds = unique(services.map((s) => idOf(s, "serviceId")).filter(isString));
  const tasksProbe = await probe("DescribeBatchInferenceTasks", { maxKeys: 100 });
  const tasks = tasksProbe.ok ? asList(tasksProbe.result, "taskList") : undefined;
  const tpmProbes = [] as Array<{ model: string; probe: Probe }>;
  for (const model of input.models) {
    tpmProbes.push({
      model,
      probe: await probe("DescribeTPMResource", { model }, `DescribeTPMResource ${model}`),
    });
  }

  // One service's units (/v2/serviceresources), for the first few services.
  const serviceUnits: Array<{ serviceId: string; probe: Probe }> = [];
  for (const serviceId of serviceIds.slice(0, 3)) {
    serviceUnits.push({ serviceId, probe: await probe(SERVICE_UNITS_ACTION, { serviceId }) });
  }
  const used = serviceUnits.flatMap(({ serviceId, probe: p }) =>
    p.ok
      ? ((asList(p.result, "instances") ?? []) as unknown[])
          .map((i) => ({ serviceId, instanceId: idOf(i, "instanceId"), item: i }))
          .filter((u): u is { serviceId: string; instanceId: string; item: unknown } =>
            isString(u.instanceId),
          )
      : [],
  );
  if (used[0])
    await probe(SERVICE_UNIT_ACTION, { serviceId: used[0].serviceId, instanceId: used[0].instanceId });
  const unitIds = (units ?? []).map((u) => idOf(u, "instanceId")).filter(isString);
  const unitToDescribe = used.find((u) => unitIds.includes(u.instanceId))?.instanceId ?? unitIds[0];
  const unitProbe = unitToDescribe
    ? await probe("DescribeComputeUnit", { instanceId: unitToDescribe })
    : undefined;
  if (serviceIds[0]) await probe("DescribeService", { serviceId: serviceIds[0] });
  const taskId = (tasks ?? []).map((t) => idOf(t, "taskId")).find(isString);
  if (taskId) await probe("DescribeBatchInferenceTask", { taskId });

  // Permissions: every action, as the probes found them.
  for (const [key, spec] of Object.entries(ACTIONS) as Array<[ActionName, (typeof ACTIONS)[ActionName]]>) {
    add(permissionCheck(key, spec, probes));
  }

  // Assumptions about answers.
  add(
    listingFieldsCheck(
      "unit-fields",
      first,
      units,
      "computeUnitInstanceList",
      ComputeUnitSchema,
      "instanceId",
      "unit",
    ),
  );
  add(serviceListCheck(serviceAnswers));
  add(protocolVersionsCheck(serviceAnswers));
  const listedWith = (version: number) => {
    const answer = serviceAnswers.find((a) => a.version === version)?.probe;
    return answer?.ok ? (asList(answer.result, "serviceList") ?? []).length : 0;
  };
  add(await pagingCheck(probe, [listedWith(1), listedWith(2)], (tasks ?? []).length));
  add(serviceResourcesCheck(serviceIds, serviceUnits));
  add(serviceUsageCheck(unitToDescribe, unitProbe, used));
  add(tpmCheck(tpmProbes));
  add(listingFieldsCheck("task-fields", tasksProbe, tasks, "taskList", BatchTaskSchema, "taskId", "task"));
  add(taskStartCheck(tasks));
  add(assumption("purchase-result", "info", "not checked: doctor never buys anything"));
  return finish(input, checks);
}

function finish(input: DoctorInput, checks: DoctorCheck[]): DoctorReport {
  const totals = { pass: 0, fail: 0, warn: 0, info: 0 };
  for (const check of checks) totals[check.status] += 1;
  return {
    target: input.target,
    emulated: input.emulated,
    checkedAt: input.now().toISOString(),
    checks,
    totals,
    ok: totals.fail === 0,
  };
}

function signatureCheck(first: Probe, accessKeyId: string | undefined): DoctorCheck {
  const key = accessKeyId ? `the key pair ${shortKey(accessKeyId)}` : "the key pair";
  const base = { id: "signature", group: "access", title: "keys and signature" } as const;
  if (first.ok) {
    return {
      ...base,
      status: "pass",
      detail: `${key} signs requests the platform accepts (DescribeComputeUnits answered)`,
      requestId: first.requestId,
    };
  }
  const code = errorCode(first.error);
  const why: Record<string, string> = {
    InvalidAccessKeyId:
      "the platform does not know this access key id: check QIANFAN_ACCESS_KEY (or the secret's accessKeyId)",
    SignatureDoesNotMatch:
      "the signature does not match: the secret key is wrong for this access key id, or something rewrites requests on the way",
    RequestExpired: "the platform refused the request's time: the local clock is off (see the clock check)",
    AccessDenied:
      "the key signs correctly but may not list compute units: attach QianfanServiceReadAccessPolicy (or an operate/full-control policy) to its IAM user",
  };
  return {
    ...base,
    status: code === "AccessDenied" ? "warn" : "fail",
    detail: `${key}: ${why[code] ?? first.error.describe()}`,
    requestId: first.error.requestId,
  };
}

function clockCheck(responses: ResponseDates, first: Probe): DoctorCheck {
  const base = { id: "clock", group: "access", title: "clock skew" } as const;
  if (!first.ok && errorCode(first.error) === "RequestExpired") {
    return {
      ...base,
      status: "fail",
      detail: "the platform refused the request's x-bce-date: set the clock right (NTP)",
    };
  }
  const samples = responses.seen.map((s) => s.serverMs - s.localMs);
  if (samples.length === 0) {
    return { ...base, status: "info", detail: "not checked: the answers carried no Date header" };
  }
  const skew = samples.reduce((a, b) => (Math.abs(b) < Math.abs(a) ? b : a));
  // The Date header has whole seconds: a second either way is no skew.
  const shown =
    Math.abs(skew) < 1500
      ? "within a second of"
      : `${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? "behind" : "ahead of"}`;
  const detail = `the local clock is ${shown} the platform's (its Date header)`;
  if (Math.abs(skew) >= CLOCK_FAIL_MS)
    return { ...base, status: "fail", detail: `${detail}; signed requests will be refused` };
  if (Math.abs(skew) >= CLOCK_WARN_MS)
    return { ...base, status: "warn", detail: `${detail}; schedules act that much off` };
  return { ...base, status: "pass", detail };
}

function permissionCheck(
  key: ActionName,
  spec: (typeof ACTIONS)[ActionName],
  probes: ReadonlyMap<string, Probe>,
): DoctorCheck {
  const title = `${spec.action} (${spec.route})`;
  const base = { id: key, group: "permission", title } as const;
  if (spec.mutating) {
    return {
      ...base,
      status: "info",
      detail: `not tried (doctor changes nothing); needs ${ACT_POLICIES.join(" or ")}; used by ${MUTATING_USE[key] ?? "no job"}`,
    };
  }
  const found = [...probes.entries()].filter(([label]) => label === key || label.startsWith(`${key} `));
  if (found.length === 0) {
    return { ...base, status: "info", detail: "not tried: nothing on the account to look at with it" };
  }
  const failed = found.find(([, p]) => !p.ok);
  if (!failed) {
    const ok = found[0]![1] as Extract<Probe, { ok: true }>;
    return { ...base, status: "pass", detail: "allowed", requestId: ok.requestId };
  }
  const error = (failed[1] as Extract<Probe, { ok: false }>).error;
  const denied = errorCode(error) === "AccessDenied";
  return {
    ...base,
    status: "fail",
    detail: denied
      ? `denied: attach ${READ_POLICIES.join(", ")} (any one) to the key's IAM user`
      : `${failed[0]}: ${error.describe()}`,
    requestId: error.requestId,
  };
}

function assumption(
  id: AssumptionId,
  status: DoctorCheck["status"],
  detail: string,
  requestId?: string,
): DoctorCheck {
  const a = ASSUMPTIONS[id];
  const consequence = status === "fail" ? ` — so ${a.ifWrong}` : "";
  return {
    id,
    group: "assumption",
    status,
    title: a.statement,
    detail: `${detail}${consequence}`,
    requestId,
  };
}

function listingFieldsCheck(
  id: AssumptionId,
  answer: Probe,
  list: unknown[] | undefined,
  listField: string,
  schema: z.ZodMiniType,
  idField: string,
  noun: string,
): DoctorCheck {
  if (!answer.ok) return assumption(id, "info", `not checked: ${answer.error.describe()}`);
  if (list === undefined)
    return assumption(id, "fail", `did not hold: the answer has no ${listField} list`, answer.requestId);
  if (list.length === 0) return assumption(id, "info", `not checked: no ${noun} listed`, answer.requestId);
  const { invalid } = checkItems(list, schema, idField);
  if (invalid.length === 0) {
    return assumption(id, "pass", `held for ${plural(list.length, noun)}`, answer.requestId);
  }
  return assumption(id, "fail", `did not hold: ${describeInvalid(invalid, noun)}`, answer.requestId);
}

function serviceListCheck(answers: Array<{ version: number; probe: Probe }>): DoctorCheck {
  const problems: string[] = [];
  let count = 0;
  let requestId: string | undefined;
  for (const { version, probe: p } of answers) {
    if (!p.ok) return assumption("service-list-shape", "info", `not checked: ${p.error.describe()}`);
    requestId ??= p.requestId;
    const list = asList(p.result, "serviceList");
    const pageInfo = (p.result as { pageInfo?: { isTruncated?: unknown } } | null)?.pageInfo;
    if (list === undefined) problems.push(`protocolVersion ${version}: no serviceList`);
    if (typeof pageInfo?.isTruncated !== "boolean")
      problems.push(`protocolVersion ${version}: no pageInfo.isTruncated`);
    const { invalid } = checkItems(list ?? [], ServiceSchema, "serviceId");
    if (invalid.length > 0)
      problems.push(`protocolVersion ${version}: ${describeInvalid(invalid, "service")}`);
    count += list?.length ?? 0;
  }
  if (problems.length > 0)
    return assumption("service-list-shape", "fail", `did not hold: ${problems.join("; ")}`, requestId);
  return assumption(
    "service-list-shape",
    count > 0 ? "pass" : "info",
    count > 0 ? `held for ${plural(count, "service")}` : "shape held; no service listed to check fields",
    requestId,
  );
}

function protocolVersionsCheck(answers: Array<{ version: number; probe: Probe }>): DoctorCheck {
  const failed = answers.find((a) => !a.probe.ok);
  if (failed) {
    const error = (failed.probe as Extract<Probe, { ok: false }>).error;
    return assumption(
      "service-protocol-versions",
      "fail",
      `did not hold: protocolVersion ${failed.version} was refused (${error.describe()})`,
    );
  }
  const counts = answers.map(
    ({ version, probe: p }) =>
      `${(asList((p as Extract<Probe, { ok: true }>).result, "serviceList") ?? []).length} with protocolVersion ${version}`,
  );
  return assumption("service-protocol-versions", "pass", `both accepted: ${counts.join(", ")} (first pages)`);
}

/** Pages of one item, to see nextMarker and where the next page starts, on services or tasks. */
async function pagingCheck(
  probe: (action: ActionName, body: Record<string, unknown>, label?: string) => Promise<Probe>,
  servicesByVersion: [number, number],
  taskCount: number,
): Promise<DoctorCheck> {
  const version = servicesByVersion[0] >= 2 ? 1 : servicesByVersion[1] >= 2 ? 2 : undefined;
  const source =
    version !== undefined
      ? ({
          action: "DescribeServices",
          list: "serviceList",
          id: "serviceId",
          extra: { protocolVersion: version },
        } as const)
      : taskCount >= 2
        ? ({ action: "DescribeBatchInferenceTasks", list: "taskList", id: "taskId", extra: {} } as const)
        : undefined;
  if (!source)
    return assumption(
      "paging-markers",
      "info",
      "not checked: fewer than 2 services and 2 tasks, so nothing pages",
    );
  const page1 = await probe(source.action, { ...source.extra, maxKeys: 1 }, `${source.action} page 1`);
  if (!page1.ok) return assumption("paging-markers", "info", `not checked: ${page1.error.describe()}`);
  const pageInfo = (page1.result as { pageInfo?: { isTruncated?: unknown; nextMarker?: unknown } } | null)
    ?.pageInfo;
  const first = asList(page1.result, source.list) ?? [];
  if (pageInfo?.isTruncated !== true && first.length > 1) {
    return assumption(
      "paging-markers",
      "info",
      `not observed: ${source.action} answered ${first.length} items on one page although maxKeys was 1`,
      page1.requestId,
    );
  }
  if (pageInfo?.isTruncated !== true) {
    return assumption(
      "paging-markers",
      "fail",
      `did not hold: ${source.action} with maxKeys 1 gave ${plural(first.length, "item")} and did not say more follow`,
      page1.requestId,
    );
  }
  const nextMarker =
    typeof pageInfo.nextMarker === "string" && pageInfo.nextMarker !== "" ? pageInfo.nextMarker : undefined;
  const lastId = idOf(first.at(-1), source.id);
  const marker = nextMarker ?? lastId;
  if (!isString(marker))
    return assumption(
      "paging-markers",
      "fail",
      `did not hold: a truncated ${source.action} page gave no nextMarker and no ${source.id}`,
      page1.requestId,
    );
  const page2 = await probe(
    source.action,
    { ...source.extra, maxKeys: 1, marker },
    `${source.action} page 2`,
  );
  if (!page2.ok)
    return assumption(
      "paging-markers",
      "fail",
      `did not hold: the next page (marker ${marker}) was refused: ${page2.error.describe()}`,
    );
  const startsAt = idOf((asList(page2.result, source.list) ?? [])[0], source.id);
  const where = startsAt === marker ? "starts at the marker" : "starts after the marker";
  if (nextMarker) {
    return assumption(
      "paging-markers",
      "pass",
      `held on ${source.action}: a truncated page gives nextMarker, and the next page ${where}`,
      page1.requestId,
    );
  }
  return assumption(
    "paging-markers",
    "warn",
    `${source.action} gives no nextMarker; the walk goes on from the last id, and the next page ${where} (a repeated first item is dropped)`,
    page1.requestId,
  );
}

/**
 * Checks the `instances` list of several answers (one per service or model) item by item;
 * `problems` names what did not hold, `lists` are the readable lists.
 */
function checkInstanceLists<T>(
  answers: Array<{ label: string; probe: Probe }>,
  schema: z.ZodMiniType<T>,
  noun: string,
): { problems: string[]; lists: unknown[][] } {
  const problems: string[] = [];
  const lists: unknown[][] = [];
  for (const { label, probe: p } of answers) {
    if (!p.ok) {
      problems.push(`${label}: ${p.error.describe()}`);
      continue;
    }
    const list = asList(p.result, "instances");
    if (list === undefined) {
      problems.push(`${label}: the answer has no instances list`);
      continue;
    }
    lists.push(list);
    const { invalid } = checkItems(list, schema, "instanceId");
    if (invalid.length > 0) problems.push(`${label}: ${describeInvalid(invalid, noun)}`);
  }
  return { problems, lists };
}

function serviceResourcesCheck(
  serviceIds: string[],
  answers: Array<{ serviceId: string; probe: Probe }>,
): DoctorCheck {
  if (serviceIds.length === 0)
    return assumption("service-resources-shape", "info", "not checked: no service listed");
  const { problems, lists } = checkInstanceLists(
    answers.map((a) => ({ label: a.serviceId, probe: a.probe })),
    ServiceUnitSchema,
    "unit",
  );
  if (problems.length > 0)
    return assumption("service-resources-shape", "fail", `did not hold: ${problems.join("; ")}`);
  const count = lists.reduce((n, list) => n + list.length, 0);
  return assumption(
    "service-resources-shape",
    "pass",
    `held for ${plural(answers.length, "service")}, ${plural(count, "unit")} in use`,
  );
}

function serviceUsageCheck(
  instanceId: string | undefined,
  answer: Probe | undefined,
  used: Array<{ serviceId: string; instanceId: string; item: unknown }>,
): DoctorCheck {
  if (!instanceId || !answer)
    return assumption("service-usage-list", "info", "not checked: no compute unit listed");
  if (!answer.ok) return assumption("service-usage-list", "info", `not checked: ${answer.error.describe()}`);
  const raw = (answer.result as { serviceUsageList?: unknown } | null)?.serviceUsageList;
  if (raw === undefined) {
    return assumption(
      "service-usage-list",
      "warn",
      `${instanceId}: DescribeComputeUnit sends no serviceUsageList; releases rely on usedComputeUnits`,
      answer.requestId,
    );
  }
  if (!Array.isArray(raw))
    return assumption(
      "service-usage-list",
      "fail",
      `did not hold: ${instanceId}: serviceUsageList is not a list`,
      answer.requestId,
    );
  const usage = readServiceUsage(raw);
  const unreadable = usage.filter((u) => u.serviceId === undefined || u.replicas === undefined).length;
  if (unreadable > 0) {
    const fields = raw
      .slice(0, 1)
      .map((e) => (e && typeof e === "object" ? Object.keys(e).join(", ") : typeof e));
    return assumption(
      "service-usage-list",
      "fail",
      `did not hold: ${instanceId}: ${unreadable} of ${raw.length} entr(ies) lack serviceId or a replica count (fields seen: ${fields.join("") || "none"})`,
      answer.requestId,
    );
  }
  const disagreements = used
    .filter((u) => u.instanceId === instanceId)
    .filter((u) => {
      const fromList = usage.find((e) => e.serviceId === u.serviceId)?.replicas ?? 0;
      return fromList !== (u.item as { replicasCount?: unknown }).replicasCount;
    })
    .map((u) => u.serviceId);
  if (raw.length === 0 && used.every((u) => u.instanceId !== instanceId)) {
    return assumption(
      "service-usage-list",
      "info",
      `${instanceId}: an empty serviceUsageList, so its item fields could not be seen`,
      answer.requestId,
    );
  }
  if (disagreements.length > 0) {
    return assumption(
      "service-usage-list",
      "warn",
      `${instanceId}: serviceUsageList and /v2/serviceresources disagree on the replicas of ${disagreements.join(", ")}; scale-services reads /v2/serviceresources`,
      answer.requestId,
    );
  }
  return assumption(
    "service-usage-list",
    "pass",
    `held for ${instanceId} (${raw.length} entr(ies), agreeing with /v2/serviceresources)`,
    answer.requestId,
  );
}

function tpmCheck(answers: Array<{ model: string; probe: Probe }>): DoctorCheck {
  if (answers.length === 0) return assumption("tpm-fields", "info", "not checked: no model to look up");
  const { problems, lists } = checkInstanceLists(
    answers.map((a) => ({ label: a.model, probe: a.probe })),
    TpmInstanceSchema,
    "instance",
  );
  if (problems.length > 0) return assumption("tpm-fields", "fail", `did not hold: ${problems.join("; ")}`);
  const items = lists.flat();
  const models = answers.map((a) => a.model).join(", ");
  if (items.length === 0)
    return assumption("tpm-fields", "info", `shape held; no TPM instance of ${models} to check fields`);
  const placeholders = items.filter(
    (i) => (i as { expiredTime?: unknown } | null)?.expiredTime === "-",
  ).length;
  const note = placeholders > 0 ? `; ${placeholders} with expiredTime '-' (read as no time)` : "";
  return assumption("tpm-fields", "pass", `held for ${plural(items.length, "instance")} of ${models}${note}`);
}

function taskStartCheck(tasks: unknown[] | undefined): DoctorCheck {
  if (!tasks || tasks.length === 0)
    return assumption("task-start-time", "info", "not checked: no task listed");
  const withStart = tasks.filter(
    (t) => typeof (t as { startTime?: unknown } | null)?.startTime === "string",
  ).length;
  if (withStart === tasks.length)
    return assumption(
      "task-start-time",
      "pass",
      `every task (${tasks.length}) gives startTime: runtime excludes queue time`,
    );
  return assumption(
    "task-start-time",
    "warn",
    `${tasks.length - withStart} of ${plural(tasks.length, "task")} give no startTime: their runtime is counted from createTime, queue time included`,
  );
}

function describeInvalid(
  invalid: Array<{ index: number; id?: string; problem: string }>,
  noun: string,
): string {
  const shown = invalid.slice(0, 3).map((i) => `${noun} ${i.id ?? `#${i.index}`}: ${i.problem}`);
  return `${plural(invalid.length, noun)} ${invalid.length === 1 ? "lacks" : "lack"} what the jobs read — ${shown.join("; ")}${invalid.length > 3 ? "; …" : ""}`;
}

function asList(result: unknown, field: string): unknown[] | undefined {
  const value =
    result !== null && typeof result === "object" ? (result as Record<string, unknown>)[field] : undefined;
  return Array.isArray(value) ? value : undefined;
}

function idOf(item: unknown, field: string): unknown {
  return item !== null && typeof item === "object" ? (item as Record<string, unknown>)[field] : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === "string" && value !== "";
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

function errorCode(error: QianfanError): string {
  return (error as { code?: string }).code ?? "";
}

/** An access key id shortened for display: its first and last four characters. */
export function shortKey(accessKeyId: string): string {
  return accessKeyId.length <= 10
    ? `${accessKeyId.slice(0, 2)}…`
    : `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}`;
}
