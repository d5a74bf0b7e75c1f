import stringWidth from "string-width";
import { escapeForDisplay } from "./escape";

/** A column: its heading and how to read a cell from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
  align?: "left" | "right";
}

/**
 * Characters one column wide each, with no combining marks among them: printable ASCII, Latin-1
 * and Latin Extended letters, and the punctuation, arrows and math signs reports use ("—", "…",
 * "→", "≥", "×"), less those a terminal may draw as emoji ("©", "‼", "↔"). A text of only these is
 * as wide as it is long.
 */
export const NARROW_TEXT =
  /^[\x20-\x7e\u00a1-\u00a8\u00aa-\u00ac\u00af-\u02ff\u2010-\u2027\u2030-\u203b\u203d-\u2048\u204a-\u205e\u2190-\u2193\u219a-\u21a8\u21ab-\u21ff\u2200-\u22ff]*$/;

/** Display width; narrow text skips string-width's per-grapheme work, which dominates large tables. */
function widthOf(text: string): number {
  return NARROW_TEXT.test(text) ? text.length : stringWidth(text);
}

/**
 * Renders rows as an aligned plain-text table (wide CJK characters count double). Every header and
 * cell is shown through `escapeForDisplay`, and widths are measured on what is shown, so a control
 * character in an id can neither repaint the terminal nor shift a column. Any number of rows.
 */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
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
  const pad = (text: string, width: number, i: number) => {
    const gap = " ".repeat(Math.max(0, widths[i]! - width));
    return columns[i]!.align === "right" ? gap + text : text + gap;
  };
  const join = (texts: string[]) => texts.join("  ").trimEnd();
  const lines = [join(headers.map((header, i) => pad(header, widthOf(header), i)))];
  for (const line of cells) lines.push(join(line.map((cell, i) => pad(cell.text, cell.width, i))));
  return lines.join("\n");
}
