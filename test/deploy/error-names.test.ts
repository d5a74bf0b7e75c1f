import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { bundleFunction } from "../../build/lambda-bundle";

/** Every module under lib/ that declares an exported error class, with the classes it exports. */
function errorModules(dir = "lib"): Array<{ file: string; classes: string[] }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return errorModules(path);
    if (!entry.name.endsWith(".ts")) return [];
    const classes = [...readFileSync(path, "utf8").matchAll(/^export class (\w+Error) extends /gm)].map(
      (match) => match[1]!,
    );
    return classes.length > 0 ? [{ file: resolve(path), classes }] : [];
  });
}

describe("error names in the Lambda bundles", () => {
  it("keeps every error class's name and constructor name when minified with the functions' settings", async () => {
    const modules = errorModules();
    expect(modules.map((m) => relative(".", m.file))).toEqual(
      expect.arrayContaining(["lib/app/lambda.ts", "lib/config/file.ts", "lib/qianfan/errors.ts"]),
    );
    const dir = await mkdtemp(join(tmpdir(), "qfhk-names-"));
    try {
      const entry = join(dir, "errors.ts");
      await writeFile(
        entry,
        modules
          .map(
            (m, i) =>
              `export { ${m.classes.map((c) => `${c} as m${i}_${c}`).join(", ")} } from ${JSON.stringify(m.file)};`,
          )
          .join("\n"),
      );
      const bundle = await bundleFunction(entry, join(dir, "out"));
      const text = readFileSync(bundle.entryFile, "utf8");
      // Minified for real: a class's own name is not written into the bundle by esbuild.
      expect(text).not.toContain("__name(");
      const exported: Record<string, unknown> = await import(pathToFileURL(resolve(bundle.entryFile)).href);
      const names = modules.flatMap((m, i) =>
        m.classes.map((c) => {
          const cls = exported[`m${i}_${c}`] as { name: string; prototype: object } & (new (
            ...args: unknown[]
          ) => Error);
          return { expected: c, constructorName: cls.name, isError: cls.prototype instanceof Error, cls };
        }),
      );
      expect(names.length).toBeGreaterThanOrEqual(10);
      for (const { expected, constructorName, isError } of names) {
        expect({ constructorName, isError }).toEqual({ constructorName: expected, isError: true });
      }
      // Instances too, for the classes that can be made from a message (others need more init).
      const made = names.flatMap(({ expected, cls }) => {
        for (const args of [["message"], [["message"]]]) {
          try {
            return [{ expected, name: new cls(...args).name }];
          } catch {}
        }
        return [];
      });
      expect(made.map((m) => m.expected)).toEqual(expect.arrayContaining(["EventError", "ConfigError"]));
      for (const { expected, name } of made) expect(name).toBe(expected);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
