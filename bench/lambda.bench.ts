import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { bundleFunction, bundleParts, lambdaFunctions } from "../build/lambda-bundle";

/** The goals every function's bundle is held to. */
export const LAMBDA_GOAL = { maxBytes: 150 * 1024, maxImportMs: 150 };

export interface LambdaFigures {
  fn: string;
  bytes: number;
  gzip: number;
  importMs: number;
  /** The largest parts of the bundle (packages, or the project's folders). */
  parts: Array<{ part: string; bytes: number }>;
}

/**
 * Builds every function of serverless.yml with its esbuild settings (`custom.esbuild`) into
 * `outdir`, so what is measured is the deployed code; returns function name → bundle file.
 */
export async function buildFunctionBundles(outdir: string): Promise<Map<string, string>> {
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const bundles = new Map<string, string>();
  for (const { fn, entry } of lambdaFunctions()) {
    const outfile = resolve(outdir, `${fn}.mjs`);
    await bundleFunction(entry, outfile);
    bundles.set(fn, outfile);
  }
  return bundles;
}

/**
 * Bundle size and cold-start import time of every function in serverless.yml, built with its
 * esbuild settings (`custom.esbuild`), so the figures are those of the deployed functions.
 */
export async function benchLambda(): Promise<LambdaFigures[]> {
  const outdir = resolve(".esbuild-bench");
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const results: LambdaFigures[] = [];
  for (const { fn, entry } of lambdaFunctions()) {
    const outfile = resolve(outdir, `${fn}.mjs`);
    const metafile = await bundleFunction(entry, outfile);
    const bytes = statSync(outfile).size;
    const gzip = gzipSync(readFileSync(outfile)).length;
    const times: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const out = execFileSync(
        process.execPath,
        [
          "--input-type=module",
          "-e",
          `const t = performance.now(); await import(${JSON.stringify(outfile)}); console.log(performance.now() - t);`,
        ],
        { encoding: "utf8" },
      );
      times.push(Number(out.trim()));
    }
    times.sort((a, b) => a - b);
    results.push({ fn, bytes, gzip, importMs: times[2]!, parts: bundleParts(metafile).slice(0, 6) });
  }
  rmSync(outdir, { recursive: true, force: true });
  return results;
}

/** One line per function, with the goal it is held to and whether it is met. */
export function lambdaLines(results: LambdaFigures[], withParts = false): string[] {
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
  const lines = results.map((r) => {
    const met = r.bytes < LAMBDA_GOAL.maxBytes && r.importMs < LAMBDA_GOAL.maxImportMs;
    const line = `lambda ${r.fn}: ${kb(r.bytes)} minified (${kb(r.gzip)} gzip), import ${r.importMs.toFixed(0)} ms (median of 5 cold processes)${met ? "" : " — over the goal"}`;
    return withParts
      ? `${line}\n  largest: ${r.parts.map((p) => `${p.part} ${(p.bytes / 1024).toFixed(1)} KB`).join(", ")}`
      : line;
  });
  lines.push(
    `lambda goal: every function under ${kb(LAMBDA_GOAL.maxBytes)} minified and ${LAMBDA_GOAL.maxImportMs} ms import: ${results.every((r) => r.bytes < LAMBDA_GOAL.maxBytes && r.importMs < LAMBDA_GOAL.maxImportMs) ? "met" : "NOT met"}`,
  );
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const line of lambdaLines(await benchLambda(), true)) console.log(line);
}
