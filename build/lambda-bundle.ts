// Builds a function as `serverless package` does, with the esbuild settings of serverless.yml
// (`custom.esbuild`), for the bundle benchmark (bench/lambda.bench.ts) and the bundle tests.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";
import { parse } from "yaml";

interface ServiceFile {
  functions: Record<string, { handler: string }>;
  custom: {
    esbuild: Record<string, unknown> & { exclude: string[]; plugins?: string; banner?: { js: string } };
  };
}

/** Every function of serverless.yml with its entry file, in the file's order. */
export function lambdaFunctions(serviceDir = "."): Array<{ fn: string; entry: string }> {
  const sls = readService(serviceDir);
  return Object.entries(sls.functions).map(([fn, { handler }]) => ({
    fn,
    entry: resolve(serviceDir, `${handler.slice(0, handler.lastIndexOf("."))}.ts`),
  }));
}

function readService(serviceDir: string): ServiceFile {
  return parse(readFileSync(resolve(serviceDir, "serverless.yml"), "utf8"), { merge: true }) as ServiceFile;
}

/** Bundles `entry` to `outfile` as the deployed function is bundled; returns esbuild's metafile. */
export async function bundleFunction(entry: string, outfile: string, serviceDir = "."): Promise<Metafile> {
  const options = readService(serviceDir).custom.esbuild;
  const plugins: Plugin[] = options.plugins
    ? createRequire(import.meta.url)(resolve(serviceDir, options.plugins))
    : [];
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: Boolean(options.minify),
    keepNames: Boolean(options.keepNames),
    platform: "node",
    target: String(options.target),
    format: "esm",
    mainFields: options.mainFields as string[],
    external: options.exclude,
    banner: options.banner,
    plugins,
    metafile: true,
    logLevel: "error",
  });
  return result.metafile;
}

/** The bytes each package (or each of the project's folders) adds to a bundle, largest first. */
export function bundleParts(metafile: Metafile): Array<{ part: string; bytes: number }> {
  const parts = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      const part = pkg ?? path.split("/").slice(0, 2).join("/");
      parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
    }
  }
  return [...parts].map(([part, bytes]) => ({ part, bytes })).sort((a, b) => b.bytes - a.bytes);
}
