/** Where a command writes: injectable so tests can read what a person would see. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Rewrites one progress line; present only when stderr is a terminal (logs stay clean). */
  progress?: (text: string) => void;
  /** The terminal's width when stdout is one; undefined (no limit) when it is a file or a pipe. */
  columns?: number;
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
  stderr: (text) => process.stderr.write(text.endsWith("\n") ? text : `${text}\n`),
  ...(process.stderr.isTTY ? { progress: (text: string) => process.stderr.write(`\r${text}\u001b[K`) } : {}),
  get columns() {
    return process.stdout.isTTY ? process.stdout.columns : undefined;
  },
};

/** The widest a table may be: the terminal's width, or unlimited with `--wide` or off a terminal. */
export function tableWidth(io: CliIo, wide: boolean): number | undefined {
  return wide ? undefined : io.columns;
}

/** A failure the user must fix (bad flag, missing value): printed without a stack, exit code 2. */
export class UsageError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "UsageError";
  override name = "UsageError";
}
