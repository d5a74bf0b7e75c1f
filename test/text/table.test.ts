import stringWidth from "string-width";
import { describe, expect, it } from "vitest";
import { renderTable } from "../../lib/text";
import { NARROW_TEXT } from "../../lib/text/table";

/** Any control character other than the line feeds between rows. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe("renderTable", () => {
  it("takes as narrow, by its fast path, only characters string-width counts one column wide", () => {
    const wrong: string[] = [];
    for (let code = 0; code <= 0xffff; code += 1) {
      const char = String.fromCharCode(code);
      if (NARROW_TEXT.test(char) && stringWidth(char) !== 1) wrong.push(code.toString(16));
    }
    expect(wrong).toEqual([]);
    expect(NARROW_TEXT.test("released: idle since 02:00, 3h ≥ 2h — ok → done")).toBe(true);
    expect(NARROW_TEXT.test("千帆")).toBe(false);
    expect(NARROW_TEXT.test("e\u0301")).toBe(false);
  });

  it("shows control and bidi characters in cells and headers escaped", () => {
    const rows = [
      { id: "unit-\u001b[2J\u001b[H", name: "ok\rALL CLEAR" },
      { id: "unit-b", name: "a\nunit-c  keep" },
      { id: "unit-\u202ec", name: "x" },
    ];
    const text = renderTable(rows, [
      { header: "ID\u001b[8m", value: (r) => r.id },
      { header: "NAME", value: (r) => r.name },
    ]);
    expect(text).not.toMatch(CONTROL);
    const shownIds = ["ID\\x1b[8m", "unit-\\x1b[2J\\x1b[H", "unit-b", "unit-\\u202ec"];
    const width = Math.max(...shownIds.map((id) => id.length));
    expect(text.split("\n")).toEqual([
      `${shownIds[0]!.padEnd(width)}  NAME`,
      `${shownIds[1]!.padEnd(width)}  ok\\rALL CLEAR`,
      `${shownIds[2]!.padEnd(width)}  a\\nunit-c  keep`,
      `${shownIds[3]!.padEnd(width)}  x`,
    ]);
  });

  it("measures widths on the escaped text, so columns stay aligned", () => {
    const rows = [
      { id: "\u001b[31mred\u001b[0m", n: 1 },
      { id: "plain", n: 22 },
    ];
    const lines = renderTable(rows, [
      { header: "ID", value: (r) => r.id },
      { header: "N", value: (r) => r.n, align: "right" },
    ]).split("\n");
    expect(lines).toEqual(["ID                   N", "\\x1b[31mred\\x1b[0m   1", "plain               22"]);
  });

  it("still counts wide CJK characters double", () => {
    const text = renderTable(
      [
        { a: "千帆", b: "x" },
        { a: "ab", b: "y" },
      ],
      [
        { header: "A", value: (r) => r.a },
        { header: "B", value: (r) => r.b },
      ],
    );
    expect(text.split("\n")).toEqual(["A     B", "千帆  x", "ab    y"]);
  });

  it("renders 200,000 rows, aligned", () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({
      id: `unit-${i}`,
      size: i % 1000,
      owner: i === 123_456 ? "the-longest-owner-name-of-all" : `team-${i % 7}`,
    }));
    const text = renderTable(rows, [
      { header: "ID", value: (r) => r.id },
      { header: "SIZE", value: (r) => r.size, align: "right" },
      { header: "OWNER", value: (r) => r.owner },
    ]);
    const lines = text.split("\n");
    expect(lines).toHaveLength(200_001);
    const idWidth = "unit-199999".length;
    const sizeEnd = idWidth + 2 + "SIZE".length;
    expect(lines[0]).toBe(`${"ID".padEnd(idWidth)}  SIZE  OWNER`);
    lines.slice(1).forEach((line, i) => {
      const row = rows[i]!;
      if (line !== `${row.id.padEnd(idWidth)}  ${String(row.size).padStart(4)}  ${row.owner}`)
        expect.fail(`row ${i} is misaligned: ${JSON.stringify(line)}`);
    });
    expect(lines[123_457]!.indexOf("the-longest")).toBe(sizeEnd + 2);
  });
});
