// The one way the config's globs are matched: protection rules, task limits, service names. The
// functions get every glob their config uses compiled to a regular expression with the config
// (packaging compiles them with picomatch, ./glob-compiler.ts), so they carry no glob compiler;
// the CLI, which reads the YAML file, injects picomatch's. Either way a glob matches exactly what
// `picomatch.isMatch(name, glob, { dot: true })` matches on POSIX.
import { ConfigError } from "./file";

/** A glob compiled to a regular expression, as the compiled config stores it. */
export interface CompiledGlob {
  source: string;
  flags: string;
}

/** Whether a name matches one glob. */
export type GlobMatcher = (name: string) => boolean;

/** Compiles a glob to a regular expression (picomatch's, in the CLI and when packaging). */
export type GlobCompiler = (pattern: string) => CompiledGlob;

const matchers = new Map<string, GlobMatcher>();
let compiler: GlobCompiler | undefined;

/** The matcher of a glob picomatch compiled to `regex`: picomatch's own test around the regex. */
export function matcherOf(pattern: string, regex: RegExp): GlobMatcher {
  // picomatch matches no empty name, and a name equal to the glob whatever its regex says ("a[").
  return (name) => name !== "" && (name === pattern || regex.test(name));
}

/** Matches these globs with these regexes from now on: the compiled config's, at cold start. */
export function useCompiledGlobs(globs: ReadonlyMap<string, RegExp>): void {
  for (const [pattern, regex] of globs) matchers.set(pattern, matcherOf(pattern, regex));
}

/** Compiles the globs no compiled config brought with `compile`: the YAML path's picomatch. */
export function useGlobCompiler(compile: GlobCompiler): void {
  compiler = compile;
}

/**
 * The matcher of one glob, synchronous (planners call it): compiled with the config, or by the
 * injected compiler; a glob neither knows is a config packaged by another version.
 */
export function globMatcher(pattern: string): GlobMatcher {
  const known = matchers.get(pattern);
  if (known) return known;
  if (!compiler) {
    throw new ConfigError([
      `the glob '${pattern}' was not compiled with the config; package the service again to compile it`,
    ]);
  }
  const { source, flags } = compiler(pattern);
  const matcher = matcherOf(pattern, new RegExp(source, flags));
  matchers.set(pattern, matcher);
  return matcher;
}
