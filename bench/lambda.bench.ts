import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { parse } from "yaml";

/**
 * Builds every function of serverless.yml with its esbuild settings (`custom.esbuild`) into
 * `outdir`, so what is measured is the deployed code; returns function name → bundle file.
 */
export async function buildFunctionBundles(outdir: string): Promise<Map<string, string>> {
  const sls = parse(readFileSync("serverless.yml", "utf8"), { merge: true }) as {
    functions: Record<string, { handler: string }>;
    custom: {
      esbuild: Record<string, unknown> & { exclude: string[]; plugins?: string; banner?: { js: string } };
    };
  };
  const options = sls.custom.esbuild;
  const plugins: Plugin[] = options.plugins ? createRequire(import.meta.url)(resolve(options.plugins)) : [];
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const bundles = new Map<string, string>();
  for (const [fn, { handler }] of Object.entries(sls.functions)) {
    const entry = `${handler.slice(0, handler.lastIndexOf("."))}.ts`;
    const outfile = resolve(outdir, `${fn}.mjs`);
    await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      minify: Boolean(options.minify),
      platform: "node",
      target: String(options.target),
      format: "esm",
      mainFields: options.mainFields as string[],
      external: options.exclude,
      banner: options.banner,
      plugins,
      logLevel: "error",
    });
    bundles.set(fn, outfile);
  }
  return bundles;
}

/**
 * Bundle size per function and cold-start import time, built with the esbuild settings of
 * serverless.yml (`custom.esbuild`), so the figures are those of the deployed functions.
 */
export async function benchLambda(): Promise<
  Array<{ fn: string; bytes: number; gzip: number; importMs: number }>
> {
  const outdir = resolve(".esbuild-bench");
  const bundles = await buildFunctionBundles(outdir);
  const results = [];
  for (const [fn, outfile] of bundles) {
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
    results.push({ fn, bytes, gzip, importMs: times[2]! });
  }
  rmSync(outdir, { recursive: true, force: true });
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchLambda()) {
    console.log(
      `lambda ${r.fn}: ${(r.bytes / 1024).toFixed(0)} KB minified (${(r.gzip / 1024).toFixed(0)} KB gzip), import ${r.importMs.toFixed(0)} ms (median of 5 cold processes)`,
    );
  }
}
