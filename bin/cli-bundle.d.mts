/** Builds the CLI bundle and points the next runs at it; undefined when esbuild is not installed. */
export function buildCliBundle(): Promise<string | undefined>;
/** The CLI's `main`: from the bundle (built when missing or out of date), else through tsx. */
export function loadCliMain(): Promise<(argv: string[]) => Promise<number>>;
