import stringWidth from "string-width";
import { escapeForDisplay } from "./escape";

/** A column: its heading and how to read a cell from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
  align?: "left" | "right";
  /**
   * How the cell gives way when the table is wider than the terminal: `truncate` (cut with an
   * ellipsis: labels) or `wrap` (onto more lines: reasons, outcomes, which must be read whole).
   * Columns without it (ids, numbers) are never narrowed, so what is shown can be copied.
   */
  shrink?: "truncate" | "wrap";
  /**
   * May be left out when the table does not fit even shrunk: rank 1 goes first, then 2, …; within
   * a rank, the rightmost first. Columns without a rank are always shown.
   */
  optional?: number;
}

export interface TableOptions {
  /** The widest a line may be (the terminal's columns); undefined: as wide as the cells need. */
  maxWidth?: number;
}

/**
 * Characters one column wide each, with no combining marks among them: printable ASCII, Latin-1
 * and Latin Extended letters, and the punctuation, arrows and math signs reports use ("—", "…",
 * "→", "≥", "×"), less those a terminal may draw as emoji ("©", "‼", "↔"). A text of only these is
 * as wide as it is long.
 */
export const NARROW_TEXT =
  /^[\x20-\x7e\u00a1-\u00a8\u00aa-\u00ac\u00af-\u02ff\u2010-\u2027\u2030-\u203b\u203d-\u2048\u204a-\u205e\u2190-\u2193\u219a-\u21a8\u21ab-\u21ff\u2200-\u22ff]*$/;

/** A shrunk column keeps at least this many characters (a wrapped one more), or its header's width. */
const MIN_TRUNCATED = 10;
const MIN_WRAPPED = 16;
const GAP = 2;

/** Display width; narrow text skips string-width's per-grapheme work, which dominates large tables. */
export function widthOf(text: string): number {
  return NARROW_TEXT.test(text) ? text.length : stringWidth(text);
}

const segmenter = new Intl.Segmenter("en", { granularity: "grapheme" });

/** The longest start of `text` that is at most `width` display columns, cut between graphemes. */
function headOf(text: string, width: number): string {
  if (NARROW_TEXT.test(text)) return text.slice(0, Math.max(0, width));
  let out = "";
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width) break;
    out += segment;
    used += w;
  }
  return out;
}

/** `text` cut to at most `width` display columns, ending in "…" when it was cut. */
export function truncateToWidth(text: string, width: number): string {
  if (widthOf(text) <= width) return text;
  return width <= 0 ? "" : `${headOf(text, width - 1)}…`;
}

/** Text broken into lines of at most `width` display columns: between words, and inside a longer word. */
export function wrapToWidth(text: string, width: number): string[] {
  if (widthOf(text) <= width) return [text];
  const lines: string[] = [];
  let line = "";
  let used = 0;
  for (const word of text.split(" ")) {
    let rest = word;
    let restWidth = widthOf(rest);
    while (restWidth > width) {
      if (line) lines.push(line);
      // At least one grapheme a line, even in a column narrower than a wide character.
      const head = headOf(rest, width) || ([...segmenter.segment(rest)][0]?.segment ?? rest);
      lines.push(head);
      rest = rest.slice(head.length);
      restWidth = widthOf(rest);
      line = "";
      used = 0;
    }
    if (!line) {
      line = rest;
      used = restWidth;
    } else if (used + 1 + restWidth <= width) {
      line = `${line} ${rest}`;
      used += 1 + restWidth;
    } else {
      lines.push(line);
      line = rest;
      used = restWidth;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The column widths that fit `maxWidth`: truncated columns give way first, then wrapped ones, the
 * widest first, until the line fits or every such column is at its minimum (then the line is as
 * narrow as it can be without cutting ids).
 */
function fitWidths<T>(
  widths: number[],
  columns: readonly Column<T>[],
  headers: string[],
  maxWidth: number,
  hard: boolean,
): { fitted: number[]; total: number } {
  const fitted = [...widths];
  let total = fitted.reduce((sum, w) => sum + w, 0) + GAP * (fitted.length - 1);
  const shrink = (indexes: number[], floor: (i: number) => number) => {
    while (total > maxWidth) {
      let widest = -1;
      for (const i of indexes) {
        if (fitted[i]! > floor(i) && (widest < 0 || fitted[i]! > fitted[widest]!)) widest = i;
      }
      if (widest < 0) return;
      // Down to the next-widest of these columns (or as far as needed), not a character a loop.
      const next = Math.max(0, ...indexes.filter((i) => i !== widest).map((i) => fitted[i]!));
      const target = Math.max(floor(widest), fitted[widest]! - (total - maxWidth), next);
      const step = Math.max(1, fitted[widest]! - target);
      fitted[widest] = fitted[widest]! - step;
      total -= step;
    }
  };
  const of = (kind: Column<T>["shrink"]) =>
    fitted.map((_, i) => i).filter((i) => columns[i]!.shrink === kind);
  const least = (i: number, min: number) => Math.min(widths[i]!, Math.max(min, widthOf(headers[i]!)));
  shrink(of("truncate"), (i) => least(i, MIN_TRUNCATED));
  shrink(of("wrap"), (i) => least(i, MIN_WRAPPED));
  // Still too wide: every shrinkable column down to its header (wrapped ones may break words).
  if (hard) shrink([...of("truncate"), ...of("wrap")], (i) => least(i, 4));
  return { fitted, total };
}

/**
 * Renders rows as an aligned plain-text table (wide CJK characters count double). Every header and
 * cell is shown through `escapeForDisplay`, and widths are measured on what is shown, so a control
 * character in an id can neither repaint the terminal nor shift a column. With `maxWidth`, the
 * shrinkable columns are cut with an ellipsis or wrapped so that each line fits. Any number of rows.
 */
export function renderTable<T>(
  rows: readonly T[],
  columns: readonly Column<T>[],
  options: TableOptions = {},
): string {
  const headers = columns.map((column) => escapeForDisplay(column.header));
  const widths = headers.map(widthOf);
  // One pass, no spread: Math.max(...cells) overflows the stack past ~125,000 rows.
  const cells: { text: string; width: number }[][] = [];
  for (const row of rows) {
    const line = columns.map((column, i) => {
      const text = escapeForDisplay(String(column.value(row) ?? "-"));
      const width = widthOf(text);
      if (width > widths[i]!) widths[i] = width;
      return { text, width };
    });
    cells.push(line);
  }
  // Fit by shrinking; failing that, leave out optional columns (lowest rank, rightmost first), then shrink harder.
  let shown = columns.map((_, i) => i);
  let fitted = widths;
  if (options.maxWidth !== undefined) {
    const pick = <X>(list: readonly X[]) => shown.map((i) => list[i]!);
    for (;;) {
      const soft = fitWidths(pick(widths), pick(columns), pick(headers), options.maxWidth, false);
      const optional = shown.filter((i) => columns[i]!.optional !== undefined);
      if (soft.total <= options.maxWidth || optional.length === 0) break;
      const rank = Math.min(...optional.map((i) => columns[i]!.optional!));
      const next = optional.filter((i) => columns[i]!.optional === rank).at(-1);
      shown = shown.filter((i) => i !== next);
    }
    const fit = fitWidths(pick(widths), pick(columns), pick(headers), options.maxWidth, true).fitted;
    fitted = columns.map((_, i) => (shown.includes(i) ? fit[shown.indexOf(i)]! : 0));
  }
  const pad = (text: string, width: number, i: number) => {
    const gap = " ".repeat(Math.max(0, fitted[i]! - width));
    return columns[i]!.align === "right" ? gap + text : text + gap;
  };
  const join = (texts: string[]) => texts.join(" ".repeat(GAP)).trimEnd();
  /** One row, as one line or (with wrapped cells) several. Cells that fit take the fast path. */
  const render = (line: { text: string; width: number }[]) => {
    const texts: string[] = [];
    let wrapped: (string[] | undefined)[] | undefined;
    for (let j = 0; j < shown.length; j++) {
      const i = shown[j]!;
      const c = line[i]!;
      if (c.width <= fitted[i]!) texts.push(pad(c.text, c.width, i));
      else if (columns[i]!.shrink === "wrap") {
        wrapped ??= [];
        wrapped[j] = wrapToWidth(c.text, fitted[i]!);
        texts.push("");
      } else {
        const cut = truncateToWidth(c.text, fitted[i]!);
        texts.push(pad(cut, widthOf(cut), i));
      }
    }
    if (!wrapped) return join(texts);
    let height = 1;
    for (const cell of wrapped) if (cell && cell.length > height) height = cell.length;
    const out: string[] = [];
    for (let k = 0; k < height; k++) {
      const parts = texts.map((text, j) => {
        const cell = wrapped![j];
        if (cell) return pad(cell[k] ?? "", widthOf(cell[k] ?? ""), shown[j]!);
        return k === 0 ? text : pad("", 0, shown[j]!);
      });
      out.push(join(parts));
    }
    return out.join("\n");
  };
  const lines = [render(headers.map((header) => ({ text: header, width: widthOf(header) })))];
  for (const line of cells) lines.push(render(line));
  const left = columns.map((_, i) => i).filter((i) => !shown.includes(i));
  if (left.length > 0)
    lines.push(`(left out to fit: ${left.map((i) => headers[i]).join(", ")}; --wide shows them)`);
  return lines.join("\n");
}
