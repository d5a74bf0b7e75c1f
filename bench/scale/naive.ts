import { consoleAction } from "@baiducloud/qianfan";
import { PAGE_MAX_KEYS } from "../../lib/qianfan/actions";
import { RULES } from "./fleet";

/**
 * The obvious hand-written loop over the official SDK's console action API, run as a child of
 * `bench/scale.bench.ts`: list, then act one by one, serially. QIANFAN_* in the environment point
 * it at the emulator. Prints one JSON line: what it did, what failed (429s counted apart), and its
 * own CPU time and peak RSS. Bounded: it stops after `QFHK_BENCH_DEADLINE_MS` whatever is left.
 */
const deadline = Date.now() + Number(process.env.QFHK_BENCH_DEADLINE_MS ?? 600_000);
const bindings = JSON.parse(process.env.QFHK_BENCH_BINDINGS ?? "[]") as Array<{
  serviceId: string;
  instanceId: string;
}>;
const tally = { calls: 0, actions: 0, failures: 0, throttled: 0, stoppedByDeadline: false };

type Answer = { result?: Record<string, unknown>; error_code?: number; code?: string };

async function call(
  route: string,
  action: string,
  data: Record<string, unknown>,
): Promise<Answer | undefined> {
  tally.calls += 1;
  try {
    const answer = (await consoleAction({ base_api_route: route, action, data })) as Answer;
    if (answer?.error_code !== undefined || answer?.code !== undefined) {
      count(String(answer.error_code ?? answer.code));
      return undefined;
    }
    return answer;
  } catch (error) {
    count(String((error as Error)?.message ?? error));
    return undefined;
  }
}

function count(what: string): void {
  if (/\b(18|429|QpsLimit|RequestLimitExceeded|TooManyRequests)\b/i.test(what)) tally.throttled += 1;
  else tally.failures += 1;
}

const inTime = () => {
  if (Date.now() < deadline) return true;
  tally.stoppedByDeadline = true;
  return false;
};

async function act(route: string, action: string, data: Record<string, unknown>): Promise<void> {
  if (!inTime()) return;
  tally.actions += 1;
  await call(route, action, data);
}

const now = Date.now();
const ms = (text: unknown) => (typeof text === "string" ? Date.parse(text) : Number.NaN);

const listing = await call("/v2/computeunit", "DescribeComputeUnits", {});
const units = (listing?.result?.computeUnitInstanceList ?? []) as Array<Record<string, unknown>>;
const tasks: Array<Record<string, unknown>> = [];
let marker: string | undefined;
for (let page = 0; page < 10_000 && inTime(); page += 1) {
  const answer = await call("/v2/batchinference", "DescribeBatchInferenceTasks", {
    runStatus: ["Running", "Queuing"],
    maxKeys: PAGE_MAX_KEYS,
    ...(marker ? { marker } : {}),
  });
  const result = answer?.result as
    | { taskList?: typeof tasks; pageInfo?: { nextMarker?: string } }
    | undefined;
  tasks.push(...(result?.taskList ?? []));
  marker = result?.pageInfo?.nextMarker;
  if (!marker) break;
}

for (const b of bindings) {
  await act("/v2/service", "ScaleService", { ...b, deploymentReplicasCount: 0 });
}
const bound = new Set(bindings.map((b) => b.instanceId));
for (const u of units) {
  if (u.status !== "Running" || u.paymentTiming !== "Postpaid" || Number(u.usedComputeUnits) > 0) continue;
  if (bound.has(String(u.instanceId))) continue;
  const age = now - ms(u.startTime);
  if (!(age >= RULES.minAgeMs)) continue;
  const passed = [u.releaseTime, u.expiredTime].some((t) => ms(t) <= now);
  if (passed || age >= RULES.maxAgeMs)
    await act("/v2/computeunit", "ReleaseComputeUnit", { instanceId: u.instanceId });
}
for (const k of tasks) {
  const running = k.runStatus === "Running" && now - ms(k.startTime ?? k.createTime) > RULES.maxRuntimeMs;
  const queued = k.runStatus === "Queuing" && now - ms(k.createTime) > RULES.maxQueuedMs;
  if (running || queued) await act("/v2/batchinference", "StopBatchInferenceTask", { taskId: k.taskId });
}

const usage = process.resourceUsage();
console.log(
  "QFHK_BENCH_RESULT",
  JSON.stringify({
    ...tally,
    listed: { units: units.length, tasks: tasks.length },
    cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000),
    maxRssKb: usage.maxRSS,
  }),
);
