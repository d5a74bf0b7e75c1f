// esbuild plugins for the Lambda bundles (serverless-esbuild `plugins`).
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

module.exports = [zodLocalesStub];
