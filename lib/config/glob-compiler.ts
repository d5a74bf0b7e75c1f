// picomatch, for the YAML path alone (the CLI and packaging): the functions test the regexes it
// compiled when packaging (./glob.ts) and never import it.
import picomatch from "picomatch";
import type { CompiledGlob } from "./glob";

/**
 * The options every glob is compiled with: `dot`, so a name starting with a dot is matched like
 * any other, and POSIX whatever the machine packaging runs on, as the functions run on Linux.
 */
const GLOB_OPTIONS = { dot: true, windows: false } as const;

/** A glob as picomatch compiles it for `picomatch.isMatch(name, pattern, { dot: true })`. */
export function compileGlob(pattern: string): CompiledGlob {
  const regex = picomatch.makeRe(pattern, GLOB_OPTIONS);
  return { source: regex.source, flags: regex.flags };
}
