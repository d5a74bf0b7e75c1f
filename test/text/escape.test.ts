import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { escapeForDisplay } from "../../lib/text";

/** Everything that must never reach a terminal raw. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("escapeForDisplay", () => {
  it.each([
    ["an ANSI clear-screen", "unit-\u001b[2J", "unit-\\x1b[2J"],
    ["an ANSI colour", "\u001b[31mred\u001b[0m", "\\x1b[31mred\\x1b[0m"],
    ["a carriage return", "unit-a\rkeep", "unit-a\\rkeep"],
    ["a line feed", "unit-a\nunit-b", "unit-a\\nunit-b"],
    ["a tab", "a\tb", "a\\tb"],
    ["NUL and BEL", "a\u0000\u0007", "a\\x00\\x07"],
    ["DEL", "a\u007f", "a\\x7f"],
    ["a C1 CSI", "a\u009b2J", "a\\x9b2J"],
    ["a right-to-left override", "unit-\u202egpj.exe", "unit-\\u202egpj.exe"],
    [
      "every bidi embedding and override",
      "\u202a\u202b\u202c\u202d\u202e",
      "\\u202a\\u202b\\u202c\\u202d\\u202e",
    ],
    ["every bidi isolate", "\u2066\u2067\u2068\u2069", "\\u2066\\u2067\\u2068\\u2069"],
    ["the bidi marks", "\u200e\u200f\u061c", "\\u200e\\u200f\\u061c"],
    ["line and paragraph separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"],
  ])("shows %s as a visible escape", (_what, raw, shown) => {
    expect(escapeForDisplay(raw)).toBe(shown);
  });

  it.each(["unit-abc123", "千帆 推理服务", "nightly 🚀 run", "C:\\path\\x1b", ""])(
    "leaves text without controls unchanged: %j",
    (text) => {
      expect(escapeForDisplay(text)).toBe(text);
    },
  );

  it("leaves no control or bidi character in any string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(escapeForDisplay(text)).not.toMatch(UNSAFE);
      }),
      { numRuns: 400 },
    );
  });

  it("changes nothing in a string free of them", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (text) => {
        fc.pre(!UNSAFE.test(text));
        expect(escapeForDisplay(text)).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});
