// The CLI bundled with esbuild, built on first use and again whenever one of the files it was
// built from changed, so `qfhk` always runs the current sources. Running the bundle instead of
// the TypeScript through tsx's loader saves the loader's thread and heap and most of the module
// sources V8 keeps (~40 MB of RSS at start). `node bin/cli-bundle.mjs` builds it ahead.
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// Two levels below the project, as lib/cli/*.ts are: their `new URL("../../…", import.meta.url)`
// (package.json, the example config, the demo fleet) resolves to the same files from the bundle.
const OUT = join(ROOT, ".qfhk-build");
const POINTER = join(OUT, "cli.json");
const ENTRY = "lib/cli/main.ts";
/** The build's own settings: a change to them is a change to the bundle. */
const BUILD_FILES = ["bin/cli-bundle.mjs", "build/esbuild-plugins.cjs", "package.json"];
/** Bundles no run is still loading chunks from after this long are removed by the next build. */
const OLD_BUILD_MS = 60 * 60_000;

/** What a file was when the bundle was built from it: its path (from the project), mtime and size. */
function stamp(path) {
  const info = statSync(join(ROOT, path));
  return [path, info.mtimeMs, info.size];
}

/** The current bundle's entry file, or undefined when there is none or a file it came from changed. */
function currentBundle() {
  let pointer;
  try {
    pointer = JSON.parse(readFileSync(POINTER, "utf8"));
  } catch {
    return undefined;
  }
  try {
    for (const [path, mtimeMs, size] of pointer.inputs) {
      const [, nowMs, nowSize] = stamp(path);
      if (nowMs !== mtimeMs || nowSize !== size) return undefined;
    }
    const entry = join(OUT, pointer.dir, "main.mjs");
    statSync(entry);
    return entry;
  } catch {
    return undefined;
  }
}

/**
 * Builds the bundle into a directory of its own and points cli.json at it (written whole, then
 * renamed), so runs started meanwhile keep the bundle they loaded and two builds at once both
 * succeed. Undefined when esbuild is not installed (an install without dev dependencies).
 */
export async function buildCliBundle() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    return undefined;
  }
  const require = createRequire(import.meta.url);
  const dir = `cli-${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const outdir = join(OUT, dir);
  const startedMs = Date.now();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { main: ENTRY },
    outdir,
    outExtension: { ".js": ".mjs" },
    chunkNames: "[name]-[hash]",
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    mainFields: ["module", "main"],
    minify: true,
    // Error classes keep their names (UsageError, ConfigError) in what the CLI prints.
    keepNames: true,
    // Loaded from node_modules when a command needs them: the AWS SDK (DynamoDB state, secrets)
    // and serverless (`qfhk offline` starts it by its path).
    external: ["@aws-sdk/*", "serverless", "esbuild"],
    banner: {
      js: "import { createRequire as __qfhkRequire } from 'node:module'; const require = __qfhkRequire(import.meta.url);",
    },
    plugins: require(join(ROOT, "build/esbuild-plugins.cjs")).filter((p) => p.name === "zod-locales-stub"),
    metafile: true,
    logLevel: "error",
  });
  const paths = new Set([
    ...BUILD_FILES,
    ...Object.keys(result.metafile.inputs)
      .filter((path) => !path.includes(":"))
      .map((path) => relative(ROOT, resolve(ROOT, path))),
  ]);
  // A file saved while esbuild was reading it may be in the bundle as it was before: stamped as
  // never matching, it makes the next run build again.
  const inputs = [...paths]
    .map(stamp)
    .map(([path, mtimeMs, size]) => [path, mtimeMs >= startedMs ? -1 : mtimeMs, size]);
  const temp = `${POINTER}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  writeFileSync(temp, JSON.stringify({ dir, inputs }));
  renameSync(temp, POINTER);
  removeOldBuilds(dir);
  return join(outdir, "main.mjs");
}

function removeOldBuilds(keep) {
  try {
    for (const name of readdirSync(OUT)) {
      if (name === keep || !name.startsWith("cli-")) continue;
      const path = join(OUT, name);
      if (Date.now() - statSync(path).mtimeMs > OLD_BUILD_MS) rmSync(path, { recursive: true, force: true });
    }
  } catch {
    // Best effort: an old bundle left behind costs disk space, nothing else.
  }
}

/** The CLI's `main`: from the bundle (built when missing or out of date), else through tsx. */
export async function loadCliMain() {
  const entry = currentBundle() ?? (await buildCliBundle());
  if (entry) return (await import(pathToFileURL(entry).href)).main;
  const { register } = await import("tsx/esm/api");
  register();
  return (await import("../lib/cli/main.ts")).main;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = await buildCliBundle();
  console.log(entry ? `built ${relative(ROOT, entry)}` : "esbuild is not installed; qfhk runs through tsx");
}
