// Builds a function as `serverless package` does, with the esbuild settings of serverless.yml
// (`custom.esbuild`), for the bundle benchmark (bench/lambda.bench.ts) and the bundle tests.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, extname, relative, resolve } from "node:path";
import { build, type Metafile, type Plugin } from "esbuild";
import { parse } from "yaml";

interface ServiceFile {
  provider?: { environment?: Record<string, unknown> };
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

/**
 * The settings of serverless.yml's `provider.environment` that shape the Node.js process itself
 * (`NODE_OPTIONS`, `MALLOC_ARENA_MAX`), so a function run outside Lambda runs as deployed.
 */
export function processEnvironment(serviceDir = "."): Record<string, string> {
  const env = readService(serviceDir).provider?.environment ?? {};
  const out: Record<string, string> = {};
  for (const key of ["NODE_OPTIONS", "MALLOC_ARENA_MAX"]) {
    if (typeof env[key] === "string" || typeof env[key] === "number") out[key] = String(env[key]);
  }
  return out;
}

function readService(serviceDir: string): ServiceFile {
  return parse(readFileSync(resolve(serviceDir, "serverless.yml"), "utf8"), { merge: true }) as ServiceFile;
}

/** A function as built: esbuild's metafile and the handler's file. */
export interface FunctionBundle {
  metafile: Metafile;
  /** The handler's file (what Lambda imports), as the metafile names it. */
  entryFile: string;
}

/**
 * Bundles `entry` into `outdir` as the deployed function is bundled: the handler as
 * `<name>.js` and, with `splitting`, the chunks it loads on demand in `<name>.chunks/`.
 */
export async function bundleFunction(
  entry: string,
  outdir: string,
  serviceDir = ".",
): Promise<FunctionBundle> {
  const options = readService(serviceDir).custom.esbuild;
  const plugins: Plugin[] = options.plugins
    ? createRequire(import.meta.url)(resolve(serviceDir, options.plugins))
    : [];
  const result = await build({
    entryPoints: [entry],
    outdir,
    bundle: true,
    minify: Boolean(options.minify),
    keepNames: Boolean(options.keepNames),
    splitting: Boolean(options.splitting),
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
  const entryFile = relative(process.cwd(), resolve(outdir, `${basename(entry, extname(entry))}.js`));
  if (!result.metafile.outputs[entryFile]) throw new Error(`esbuild wrote no ${entryFile}`);
  return { metafile: result.metafile, entryFile };
}

/** The JavaScript files of a bundle: those a cold start imports, and the chunks loaded on demand. */
export interface BundleFiles {
  /** The handler's file and every file it imports statically: what a cold start loads. */
  coldStart: string[];
  /** Chunks loaded by a dynamic `import()`, each with the module it starts from (none: shared). */
  onDemand: Array<{ file: string; module?: string }>;
}

/** Splits a bundle's files into those a cold start imports and those loaded on demand. */
export function bundleFiles({ metafile, entryFile }: FunctionBundle): BundleFiles {
  const coldStart = new Set<string>();
  const pending = [entryFile];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (coldStart.has(file)) continue;
    coldStart.add(file);
    for (const imported of metafile.outputs[file]!.imports) {
      if (imported.kind === "import-statement" && !imported.external) pending.push(imported.path);
    }
  }
  const onDemand = Object.entries(metafile.outputs)
    .filter(([file]) => file.endsWith(".js") && !coldStart.has(file))
    .map(([file, output]) => ({ file, module: output.entryPoint }));
  return { coldStart: [...coldStart], onDemand };
}

/**
 * The bytes each package (or each of the project's folders) adds to the given files of a bundle
 * (all of them when none are given), largest first.
 */
export function bundleParts(metafile: Metafile, files?: string[]): Array<{ part: string; bytes: number }> {
  const parts = new Map<string, number>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (files && !files.includes(file)) continue;
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      const part = pkg ?? path.split("/").slice(0, 2).join("/");
      parts.set(part, (parts.get(part) ?? 0) + bytesInOutput);
    }
  }
  return [...parts].map(([part, bytes]) => ({ part, bytes })).sort((a, b) => b.bytes - a.bytes);
}
