import fc from "fast-check";
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

describe("renderTable within a width", () => {
  const rows = [
    {
      id: "unit-a",
      label: "gpu-2 8/8 Postpaid bj",
      reason: "auto-release time 15:58 +08:00 passed 1h30m ago and it is still Running",
    },
    { id: "unit-bb", label: "千帆 客服对话 生产", reason: "busy" },
  ];
  const columns = [
    { header: "ID", value: (r: (typeof rows)[number]) => r.id },
    { header: "LABEL", value: (r: (typeof rows)[number]) => r.label, shrink: "truncate" as const },
    { header: "REASON", value: (r: (typeof rows)[number]) => r.reason, shrink: "wrap" as const },
  ];

  it("cuts truncated cells with an ellipsis and wraps wrapped ones, never touching ids", () => {
    const text = renderTable(rows, columns, { maxWidth: 40 });
    const lines = text.split("\n");
    for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(40);
    expect(lines[1]).toMatch(/^unit-a {3}gpu-2 8/);
    expect(text).toContain("…");
    const reason = lines.slice(1, -1).map((line) => line.slice(lines[0]!.indexOf("REASON")).trim());
    expect(reason.join(" ")).toBe(rows[0]!.reason);
  });

  it("shows everything on one line each without a width", () => {
    const lines = renderTable(rows, columns).split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(rows[0]!.reason);
  });

  it("leaves out optional columns, the lowest rank first, and names them", () => {
    const wide = [
      { header: "CREATED", value: () => "2026-11-23 13:00", optional: 2 },
      ...columns,
      { header: "STARTED", value: () => "2026-11-23 14:00", optional: 1 },
    ];
    const roomy = renderTable(rows, wide, { maxWidth: 60 }).split("\n");
    expect(roomy[0]).toMatch(/^CREATED +ID +LABEL +REASON$/);
    expect(roomy.at(-1)).toBe("(left out to fit: STARTED; --wide shows them)");
    const narrow = renderTable(rows, wide, { maxWidth: 50 }).split("\n");
    expect(narrow[0]).toMatch(/^ID +LABEL +REASON$/);
    expect(narrow.at(-1)).toBe("(left out to fit: CREATED, STARTED; --wide shows them)");
    expect(renderTable(rows, wide, { maxWidth: 200 }).split("\n")[0]).toMatch(
      /^CREATED +ID +LABEL +REASON +STARTED$/,
    );
  });

  it("keeps any table within any width that its ids leave room for", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ id: fc.stringMatching(/^[a-z0-9-]{1,12}$/), label: fc.string(), reason: fc.string() }),
          {
            minLength: 1,
            maxLength: 8,
          },
        ),
        fc.integer({ min: 45, max: 160 }),
        (generated, width) => {
          const lines = renderTable(generated, columns, { maxWidth: width }).split("\n");
          for (const line of lines) expect(stringWidth(line)).toBeLessThanOrEqual(width);
        },
      ),
    );
  });
});
