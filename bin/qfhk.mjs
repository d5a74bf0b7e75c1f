#!/usr/bin/env node
// The qfhk command: runs the CLI bundled from the TypeScript sources (bin/cli-bundle.mjs builds it
// on first use and whenever a source changed), so no build step is needed.
import { loadCliMain } from "./cli-bundle.mjs";

// The AWS SDK warns on every Node below 22; qfhk supports Node 20.19+, so that one warning is
// switched off with the SDK's own setting (other warnings still show).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const main = await loadCliMain();
process.exitCode = await main(process.argv.slice(2));
