// esbuild plugins for the Lambda bundles (serverless-esbuild `plugins`).
const { basename, extname } = require("node:path");

// zod's classic API re-exports every locale (~250 KB minified) as `z.locales`; the functions use
// none of them (English messages are built in), so the re-export resolves to an empty module.
const zodLocalesStub = {
  name: "zod-locales-stub",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer) ? { path: "zod-locales-stub", namespace: "qfhk-stub" } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "qfhk-stub" }, () => ({ contents: "export {};", loader: "js" }));
  },
};

// serverless-esbuild builds each function on its own into one folder and zips every file there
// except the other functions' bundles, which it tells by their name and a dot ("release-units.").
// So each function's chunks go to a folder named after it, "<function>.chunks/": its own zip holds
// them, the others' do not.
const chunksBesideTheFunction = {
  name: "chunks-beside-the-function",
  setup(build) {
    const options = build.initialOptions;
    if (!options.splitting) return;
    const entries = Array.isArray(options.entryPoints)
      ? options.entryPoints
      : Object.values(options.entryPoints);
    if (entries.length !== 1) throw new Error("chunks-beside-the-function: one entry point per build");
    const entry = typeof entries[0] === "string" ? entries[0] : entries[0].in;
    options.chunkNames = `${basename(entry, extname(entry))}.chunks/[name]-[hash]`;
  },
};

module.exports = [zodLocalesStub, chunksBesideTheFunction];
