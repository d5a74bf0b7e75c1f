/**
 * Characters that let text rewrite what a person sees instead of being seen: C0 and C1 controls and
 * DEL (ANSI escapes clear the screen or move the cursor, CR overwrites a line, LF and TAB forge rows
 * and columns), Unicode line and paragraph separators, and the bidi controls that reorder a line
 * (embeddings and overrides U+202A–U+202E, isolates U+2066–U+2069, the marks LRM, RLM and ALM).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_ONE = new RegExp(UNSAFE.source);

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Text as it may be shown to people: every control, line-breaking or bidi character becomes a
 * visible escape (`\x1b`, `\n`, `\u202e`), so an id or a platform message cannot repaint the
 * terminal, forge a line of a report or reorder what it shows. Other text is returned unchanged;
 * JSON output does not need this, since JSON.stringify escapes controls itself.
 */
export function escapeForDisplay(text: string): string {
  return UNSAFE_ONE.test(text) ? text.replace(UNSAFE, escapeOne) : text;
}
