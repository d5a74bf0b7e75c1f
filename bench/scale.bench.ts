import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { buildCliBundle } from "../bin/cli-bundle.mjs";
import { processEnvironment } from "../build/lambda-bundle";
import { compileConfig } from "../lib/config";
import { DEMO_CREDENTIALS, parseFleet, type RunningEmulator, startEmulator } from "../lib/emulator";
import { ACTIONS, PAGE_MAX_KEYS } from "../lib/qianfan/actions";
import { buildFunctionBundles } from "./lambda.bench";
import { renderScaleChart } from "./scale/chart";
import {
  benchConfig,
  expectedActions,
  type GeneratedFleet,
  generateFleet,
  SIZES,
  type SizeName,
} from "./scale/fleet";

/**
 * `npm run bench:scale -- --size 1k|10k|50k [--only cli-default,cli-tuned,naive,lambda,lambda-semi2] [--limit-s N]
 * [--lambda-memory MB]` (`--chart-only` redraws the chart from the kept results; `--lambda-memory`
 * gives the `lambda` runner another function size's heap flags, and its figures are printed, not kept).
 *
 * One seeded fleet, then on a fresh emulator each (HTTP on 127.0.0.1, 25 ms latency, 200
 * requests/s, 429 with Retry-After beyond): `qfhk run all --apply` with the default and a tuned
 * config, the naive serial loop over the official SDK, and the bundled Lambda handlers with the
 * heap flags the Lambda Node.js runtime gives a 128 MB function (`lambda`; see
 * {@link lambdaHeapFlags}) or `--max-old-space-size=128 --max-semi-space-size=2` (`lambda-semi2`,
 * a young generation of 2 MB). Every child is killed at its time limit; prints a Markdown table,
 * keeps the figures in bench/results/scale-<size>.json and redraws bench/results/scale.svg from
 * every size measured so far.
 */
const SERVER_RATE = 200;
const LATENCY_MS = 25;
const RUNNERS = ["cli-default", "cli-tuned", "naive", "lambda", "lambda-semi2"] as const;
type Runner = (typeof RUNNERS)[number];
const LAMBDA_JOBS = ["scale-services", "release-units", "stop-batch-tasks"] as const;
/** The memory the `lambda` runner gives each function by default, as a function's `memorySize`. */
const LAMBDA_MEMORY_MB = 128;

/**
 * The V8 heap flags the Lambda Node.js runtime starts a function with (its bootstrap script in
 * AWS's base images): a tenth of the memory for the young generation, in two semi-spaces, the
 * rest for the old one. 128 MB: `--max-semi-space-size=6 --max-old-space-size=116`.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

export interface ScaleResult {
  size: SizeName;
  runner: Runner;
  /** Units, services and tasks in the fleet. */
  resources: number;
  requests: number;
  actions: number;
  throttled: number;
  /** Answers other than 200 and 429, plus a child that exited non-zero or was killed. */
  failures: number;
  wallMs: number;
  boundMs: number;
  cpuMs: number;
  maxRssKb: number;
  note?: string;
}

interface Tally {
  requests: number;
  actions: number;
  throttled: number;
  errors: number;
}

interface ChildOutcome {
  code: number | null;
  killed: boolean;
  cpuMs: number;
  maxRssKb: number;
  wallMs: number;
  /** Lines of stdout that start with the marker, without it. */
  marked: string[];
  stderrTail: string;
}

const MARK = "QFHK_BENCH_RESULT ";
const RESULTS = resolve("bench/results");

/** Runs a command under /usr/bin/time -v, killed after `limitMs`; streams stdout, keeps marked lines. */
function runChild(
  args: string[],
  env: Record<string, string | undefined>,
  limitMs: number,
  cwd = process.cwd(),
): Promise<ChildOutcome> {
  return new Promise((resolveOutcome) => {
    const started = performance.now();
    const child = spawn("/usr/bin/time", ["-v", process.execPath, ...args], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    }, limitMs);
    const marked: string[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith(MARK)) marked.push(line.slice(MARK.length));
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-20_000);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const field = (name: string) =>
        Number(new RegExp(`${name}: ([\\d.:]+)`).exec(stderr)?.[1] ?? Number.NaN);
      resolveOutcome({
        code,
        killed,
        cpuMs: Math.round((field("User time \\(seconds\\)") + field("System time \\(seconds\\)")) * 1000),
        maxRssKb: field("Maximum resident set size \\(kbytes\\)"),
        wallMs: performance.now() - started,
        marked,
        stderrTail: stderr.split("\n\tCommand being timed")[0]!.slice(-600),
      });
    });
  });
}

async function freshEmulator(generated: GeneratedFleet, tally: Tally): Promise<RunningEmulator> {
  const mutating = new Set<string>(
    Object.values(ACTIONS)
      .filter((a) => a.mutating)
      .map((a) => a.action),
  );
  return startEmulator({
    fleet: parseFleet(generated.fleet),
    faults: { latencyMs: LATENCY_MS, qps: SERVER_RATE },
    maxRequestLog: 0,
    onRequest: (entry) => {
      tally.requests += 1;
      if (entry.status === 429) tally.throttled += 1;
      else if (entry.status !== 200) tally.errors += 1;
      else if (mutating.has(entry.action)) tally.actions += 1;
    },
  });
}

/** The fewest calls that do the work: one unit listing, task and service pages, a unit listing per bound service, one call per action. */
function boundMs(generated: GeneratedFleet): number {
  const expected = expectedActions(generated);
  const activeTasks = (generated.fleet.batchTasks ?? []).filter(
    (k) => k.runStatus === "Running" || k.runStatus === "Queuing",
  ).length;
  const pages =
    1 +
    Math.max(1, Math.ceil(activeTasks / PAGE_MAX_KEYS)) +
    Math.max(1, Math.ceil(generated.counts.services / PAGE_MAX_KEYS)) +
    generated.bindings.length;
  return ((pages + expected.scales + expected.releases + expected.stops) / SERVER_RATE) * 1000;
}

function childEnv(emulator: RunningEmulator, extra: Record<string, string> = {}) {
  const env: Record<string, string | undefined> = {
    ...process.env,
    QIANFAN_CONSOLE_API_BASE_URL: emulator.url,
    QIANFAN_ACCESS_KEY: DEMO_CREDENTIALS.accessKeyId,
    QIANFAN_SECRET_KEY: DEMO_CREDENTIALS.secretAccessKey,
  };
  delete env.QFHK_CONFIG;
  delete env.QFHK_STATE_PATH;
  delete env.QFHK_STATE_TABLE;
  return { ...env, ...extra };
}

async function runOne(
  runner: Runner,
  size: SizeName,
  generated: GeneratedFleet,
  limitMs: number,
  lambdaMemoryMb = LAMBDA_MEMORY_MB,
): Promise<ScaleResult> {
  const tally: Tally = { requests: 0, actions: 0, throttled: 0, errors: 0 };
  const emulator = await freshEmulator(generated, tally);
  const dir = await mkdtemp(join(tmpdir(), "qfhk-scale-"));
  try {
    const config = join(dir, "housekeeping.yml");
    await writeFile(config, benchConfig(generated, runner !== "cli-default"));
    const outcomes: ChildOutcome[] = [];
    let note: string | undefined;
    if (runner === "cli-default" || runner === "cli-tuned") {
      // Built ahead, so the run measures the command, not its first build.
      await buildCliBundle();
      outcomes.push(
        await runChild(
          [resolve("bin/qfhk.mjs"), "run", "all", "--apply", "--config", config],
          childEnv(emulator),
          limitMs,
        ),
      );
    } else if (runner === "naive") {
      const outcome = await runChild(
        [resolve("bin/run-ts.mjs"), resolve("bench/scale/naive.ts")],
        {
          ...childEnv(emulator),
          QFHK_BENCH_BINDINGS: JSON.stringify(generated.bindings),
          QFHK_BENCH_DEADLINE_MS: String(limitMs - 10_000),
        },
        limitMs,
      );
      outcomes.push(outcome);
      const own = JSON.parse(outcome.marked[0] ?? "{}") as { failures?: number; throttled?: number };
      note = `saw ${own.throttled ?? "?"} throttled and ${own.failures ?? "?"} failed answers`;
    } else {
      // Inside the project, so what the bundles leave out (proper-lockfile, for the file state
      // these runs keep) resolves from its node_modules, as in `serverless invoke local`.
      const bundles = await buildFunctionBundles(resolve(".esbuild-bench", "scale"));
      // Packaged functions read the config compiled to JSON, as packaging writes it.
      const compiled = join(dir, "housekeeping.json");
      await writeFile(compiled, (await compileConfig(config)).text);
      const rss: string[] = [];
      for (const job of LAMBDA_JOBS) {
        const file = bundles.get(job)!;
        const script = `const { handler } = await import(${JSON.stringify(file)});
const report = await handler({}, { getRemainingTimeInMillis: () => 900000, awsRequestId: "bench" });
console.log(${JSON.stringify(MARK)} + JSON.stringify(report.jobs?.map((j) => [j.job, j.status, j.totals?.done])));`;
        const heap =
          runner === "lambda-semi2"
            ? ["--max-old-space-size=128", "--max-semi-space-size=2"]
            : lambdaHeapFlags(lambdaMemoryMb);
        const outcome = await runChild(
          [...heap, "--input-type=module", "-e", script],
          childEnv(emulator, {
            // The process settings the deployed functions get (source maps, malloc arenas).
            ...processEnvironment(),
            QFHK_CONFIG: compiled,
            QFHK_STATE_PATH: join(dir, "state.json"),
            QFHK_DRY_RUN: "false",
            POWERTOOLS_LOG_LEVEL: "WARN",
          }),
          limitMs,
          resolve("."),
        );
        outcomes.push(outcome);
        rss.push(`${job} ${Math.round(outcome.maxRssKb / 1024)} MB`);
      }
      note = `peak RSS per function: ${rss.join(", ")}`;
    }
    const failedChildren = outcomes.filter((o) => o.code !== 0 || o.killed);
    for (const o of failedChildren) {
      process.stderr.write(
        `${runner} ${size}: child ${o.killed ? "killed at the time limit" : `exited ${o.code}`}\n${o.stderrTail}\n`,
      );
    }
    return {
      size,
      runner,
      resources: generated.counts.units + generated.counts.services + generated.counts.tasks,
      requests: tally.requests,
      actions: tally.actions,
      throttled: tally.throttled,
      failures: tally.errors + failedChildren.length,
      wallMs: outcomes.reduce((n, o) => n + o.wallMs, 0),
      boundMs: boundMs(generated),
      cpuMs: outcomes.reduce((n, o) => n + o.cpuMs, 0),
      maxRssKb: Math.max(...outcomes.map((o) => o.maxRssKb)),
      ...(note ? { note } : {}),
      ...(failedChildren.some((o) => o.killed) ? { note: `${note ?? ""} killed at the time limit` } : {}),
    };
  } finally {
    await emulator.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The results as a Markdown table, ready for BENCHMARKS.md. */
export function formatTable(results: ScaleResult[]): string {
  const rows = results.map((r) =>
    [
      r.runner,
      r.requests.toLocaleString("en"),
      r.actions.toLocaleString("en"),
      r.actions > 0 ? (r.requests / r.actions).toFixed(2) : "-",
      seconds(r.wallMs),
      seconds(r.boundMs),
      `${(r.wallMs / r.boundMs).toFixed(2)}×`,
      String(r.throttled),
      String(r.failures),
      `${Math.round(r.maxRssKb / 1024)} MB`,
      seconds(r.cpuMs),
    ].join(" | "),
  );
  return [
    "| run | requests | actions | calls/action | wall | bound | × bound | 429s | failures | peak RSS | CPU |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((row) => `| ${row} |`),
    ...results.filter((r) => r.note).map((r) => `\n${r.runner}: ${r.note}`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      size: { type: "string", default: "1k" },
      "chart-only": { type: "boolean" },
      only: { type: "string" },
      "limit-s": { type: "string" },
      "lambda-memory": { type: "string" },
    },
  });
  if (values["chart-only"]) {
    await writeFile(join(RESULTS, "scale.svg"), renderScaleChart(await readAllResults()));
    process.exit(0);
  }
  const size = values.size as SizeName;
  if (!(size in SIZES)) throw new Error(`--size takes ${Object.keys(SIZES).join(", ")}, got ${values.size}`);
  const runners = (values.only?.split(",") ?? [...RUNNERS]) as Runner[];
  for (const r of runners) if (!RUNNERS.includes(r)) throw new Error(`--only takes ${RUNNERS.join(", ")}`);
  const limitMs = Number(values["limit-s"] ?? { "1k": 300, "10k": 1200, "50k": 2400 }[size]) * 1000;
  const lambdaMemoryMb = Number(values["lambda-memory"] ?? LAMBDA_MEMORY_MB);
  if (!Number.isInteger(lambdaMemoryMb) || lambdaMemoryMb < 128 || lambdaMemoryMb > 10_240)
    throw new Error(
      `--lambda-memory takes a function size in MB (128–10240), got ${values["lambda-memory"]}`,
    );
  const generated = generateFleet(SIZES[size]);
  const expected = expectedActions(generated);
  console.log(
    `## ${size}: ${generated.counts.units.toLocaleString("en")} units, ${generated.counts.tasks.toLocaleString("en")} tasks, ${generated.counts.services.toLocaleString("en")} services (${generated.bindings.length} bound); owed: ${expected.scales} scales, ${expected.releases} releases, ${expected.stops} stops\n`,
  );
  const results: ScaleResult[] = [];
  for (const runner of runners) {
    const result = await runOne(runner, size, generated, limitMs, lambdaMemoryMb);
    results.push(result);
    process.stderr.write(`${runner}: ${seconds(result.wallMs)}\n`);
  }
  console.log(formatTable(results));
  if (lambdaMemoryMb !== LAMBDA_MEMORY_MB) {
    console.log(`\n(lambda at ${lambdaMemoryMb} MB: not kept in ${RESULTS})`);
    process.exit(0);
  }
  await mkdir(RESULTS, { recursive: true });
  // A run of some runners replaces theirs and keeps the others' last figures.
  const file = join(RESULTS, `scale-${size}.json`);
  const kept = (await readFile(file, "utf8").then(JSON.parse, () => [])) as ScaleResult[];
  const merged = RUNNERS.flatMap(
    (runner) => results.find((r) => r.runner === runner) ?? kept.find((r) => r.runner === runner) ?? [],
  );
  await writeFile(file, `${JSON.stringify(merged, null, 2)}\n`);
  await writeFile(join(RESULTS, "scale.svg"), renderScaleChart(await readAllResults()));
}

/** Every size's results kept so far, smallest fleet first. */
async function readAllResults(): Promise<ScaleResult[]> {
  const files = (await readdir(RESULTS)).filter((f) => /^scale-\w+\.json$/.test(f));
  const all = await Promise.all(
    files.map(async (f) => JSON.parse(await readFile(join(RESULTS, f), "utf8")) as ScaleResult[]),
  );
  // Results kept before they counted resources: every generated fleet has N units, N/5 services
  // and N/2 tasks.
  return all
    .flat()
    .map((r) => ({ ...r, resources: r.resources ?? Math.round(SIZES[r.size] * 1.7) }))
    .sort((a, b) => SIZES[a.size] - SIZES[b.size]);
}
