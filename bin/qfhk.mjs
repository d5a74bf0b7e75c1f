#!/usr/bin/env node
// The qfhk command: runs the CLI bundled from the TypeScript sources (bin/cli-bundle.mjs builds it
// on first use and whenever a source changed), so no build step is needed.
import { setFlagsFromString } from "node:v8";
import { loadCliMain } from "./cli-bundle.mjs";

// V8 lets the heap grow to up to four times what outlived its last full collection before it
// collects again. A run's listings are megabytes that live for a moment, so that would make a
// 10k-unit pass peak over 200 MB; at 1.6 times it stays near 180 MB for a few collections more.
// A flag given to node itself wins.
if (!process.execArgv.some((flag) => flag.startsWith("--heap-growing-percent"))) {
  setFlagsFromString("--heap-growing-percent=60");
}

// The AWS SDK warns on every Node below 22; qfhk supports Node 20.19+, so that one warning is
// switched off with the SDK's own setting (other warnings still show).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const main = await loadCliMain();
process.exitCode = await main(process.argv.slice(2));
