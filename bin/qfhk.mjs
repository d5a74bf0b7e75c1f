#!/usr/bin/env node
// The qfhk command: loads the TypeScript CLI through tsx, so no build step is needed.
import { register } from "tsx/esm/api";

// The AWS SDK warns on every Node below 22; qfhk supports Node 20.19+, so that one warning is
// switched off with the SDK's own setting (other warnings still show).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { main } = await import("../lib/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
