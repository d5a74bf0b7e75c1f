import stringWidth from "string-width";

/** A column: its heading and how to read a cell from a row. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
  align?: "left" | "right";
}

/** Renders rows as an aligned plain-text table (wide CJK characters count double). */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((column) => String(column.value(row) ?? "-")));
  const widths = columns.map((column, i) =>
    Math.max(stringWidth(column.header), ...cells.map((line) => stringWidth(line[i] ?? ""))),
  );
  const pad = (text: string, i: number) => {
    const gap = " ".repeat(Math.max(0, widths[i]! - stringWidth(text)));
    return columns[i]!.align === "right" ? gap + text : text + gap;
  };
  const lines = [columns.map((c, i) => pad(c.header, i)), ...cells.map((line) => line.map(pad))];
  return lines.map((line) => line.join("  ").trimEnd()).join("\n");
}
