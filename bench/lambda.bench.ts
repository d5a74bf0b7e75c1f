import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg } from "node:os";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleFiles, bundleFunction, bundleParts, lambdaFunctions } from "../build/lambda-bundle";

/**
 * The goals every function is held to, on what a cold start imports: the handler's file and the
 * chunks it imports statically (not the chunks it loads on demand, which are counted apart).
 */
export const LAMBDA_GOAL = { maxBytes: 150 * 1024, maxImportMs: 150 };

export interface LambdaFigures {
  fn: string;
  /** What a cold start imports: the handler's file and its static imports. */
  bytes: number;
  gzip: number;
  importMs: number;
  /** Every JavaScript file in the function's zip: the cold start's and the on-demand chunks. */
  zipBytes: number;
  /** The chunks loaded on demand, by the module each starts from ("shared" when several use it). */
  onDemand: Array<{ module: string; bytes: number }>;
  /** The largest parts of what a cold start imports (packages, or the project's folders). */
  parts: Array<{ part: string; bytes: number }>;
}

/**
 * Builds every function of serverless.yml with its esbuild settings (`custom.esbuild`), each into
 * its own folder under `outdir` (its handler and chunks), so what is measured is the deployed code;
 * returns function name → handler file.
 */
export async function buildFunctionBundles(outdir: string): Promise<Map<string, string>> {
  rmSync(outdir, { recursive: true, force: true });
  const bundles = new Map<string, string>();
  for (const { fn, entry } of lambdaFunctions()) {
    const dir = resolve(outdir, fn);
    mkdirSync(dir, { recursive: true });
    bundles.set(fn, resolve((await bundleFunction(entry, dir)).entryFile));
  }
  return bundles;
}

/**
 * Bundle sizes and cold-start import time of every function in serverless.yml, built with its
 * esbuild settings (`custom.esbuild`), so the figures are those of the deployed functions.
 */
export async function benchLambda(): Promise<LambdaFigures[]> {
  const root = resolve(".esbuild-bench");
  rmSync(root, { recursive: true, force: true });
  const results: LambdaFigures[] = [];
  for (const { fn, entry } of lambdaFunctions()) {
    const outdir = resolve(root, fn);
    mkdirSync(outdir, { recursive: true });
    const bundle = await bundleFunction(entry, outdir);
    const { coldStart, onDemand } = bundleFiles(bundle);
    const sizeOf = (file: string) => bundle.metafile.outputs[file]!.bytes;
    const sum = (files: string[]) => files.reduce((total, file) => total + sizeOf(file), 0);
    const times: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const out = execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const t = performance.now(); await import(${JSON.stringify(resolve(bundle.entryFile))}); console.log(performance.now() - t);`,
        ],
        { encoding: "utf8" },
      );
      times.push(Number(out.trim()));
    }
    times.sort((a, b) => a - b);
    results.push({
      fn,
      bytes: sum(coldStart),
      gzip: gzipSync(Buffer.concat(coldStart.map((file) => readFileSync(file)))).length,
      importMs: times[2]!,
      zipBytes: sum(coldStart) + sum(onDemand.map((chunk) => chunk.file)),
      onDemand: onDemand
        .map((chunk) => ({ module: chunk.module ?? "shared", bytes: sizeOf(chunk.file) }))
        .sort((a, b) => b.bytes - a.bytes),
      parts: bundleParts(bundle.metafile, coldStart).slice(0, 6),
    });
  }
  rmSync(root, { recursive: true, force: true });
  return results;
}

const meetsGoal = (r: LambdaFigures) =>
  r.bytes < LAMBDA_GOAL.maxBytes && r.importMs < LAMBDA_GOAL.maxImportMs;

/** One line per function, with the goal it is held to and whether it is met. */
export function lambdaLines(results: LambdaFigures[], withParts = false): string[] {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  const lines = results.map((r) => {
    const line = `lambda ${r.fn}: cold start ${kb(r.bytes)} minified (${kb(r.gzip)} gzip), import ${r.importMs.toFixed(0)} ms (median of 5 cold processes); zip ${kb(r.zipBytes)} of JS${meetsGoal(r) ? "" : " — over the goal"}`;
    if (!withParts) return line;
    const onDemand = r.onDemand.map((c) => `${c.module} ${(c.bytes / 1024).toFixed(1)} KB`).join(", ");
    return [
      line,
      `  largest: ${r.parts.map((p) => `${p.part} ${(p.bytes / 1024).toFixed(1)} KB`).join(", ")}`,
      `  on demand: ${onDemand || "none"}`,
    ].join("\n");
  });
  // Import times move with what else the machine runs: the load says how busy it was.
  lines.push(`lambda machine load: ${loadavg()[0]!.toFixed(1)} (1-minute average)`);
  lines.push(
    `lambda goal: what each function's cold start imports (handler and static chunks) under ${kb(LAMBDA_GOAL.maxBytes)} minified and ${LAMBDA_GOAL.maxImportMs} ms: ${results.every(meetsGoal) ? "met" : "NOT met"}`,
  );
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of lambdaLines(await benchLambda(), true)) console.log(line);
}
