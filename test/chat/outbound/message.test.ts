import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ChatMessage,
  cleanText,
  escapeMarkdown,
  escapeSlack,
  MAX_LINE_CHARS,
  MAX_LINES,
  renderDingTalk,
  renderFeishuCard,
  renderSlack,
  renderWeComMarkdown,
  renderWeComTemplateCard,
  WECOM_APP_MARKDOWN_BYTES,
} from "../../../lib/chat/outbound/message";

const UNSAFE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the property is about control characters
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Every string anywhere in a rendered payload. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === "object") return Object.values(value).flatMap(strings);
  return [];
}

const renderAll = (message: ChatMessage) => [
  renderSlack(message),
  renderFeishuCard(message),
  renderFeishuCard(message, { buttons: false }),
  renderDingTalk(message),
  renderWeComMarkdown(message),
  renderWeComTemplateCard(message),
];

const slackSection = (message: ChatMessage) =>
  (renderSlack(message).blocks.find((b) => b.type === "section") as { text: { text: string } }).text.text;

describe("cleaning and escaping", () => {
  it("drops control and bidi characters and turns breaks into spaces", () => {
    expect(cleanText("unit-\u202eexe.txt\u200f")).toBe("unit-exe.txt");
    expect(cleanText("a\nb\r\nc\td\u2028e")).toBe("a b c d e");
    expect(cleanText("\u001b[2Jcleared")).toBe("[2Jcleared");
  });

  it("escapes Slack mrkdwn's three control characters so no one can mention the channel", () => {
    expect(escapeSlack("<!channel> & <@U123|x>")).toBe("&lt;!channel&gt; &amp; &lt;@U123|x&gt;");
    expect(slackSection({ title: "t", lines: ["<!here> ping"] })).toBe("• &lt;!here&gt; ping");
  });

  it("escapes markdown emphasis, links, code, headings and inline HTML", () => {
    expect(escapeMarkdown("*bold* _it_ `code` [x](http://e) <font color=red>#h</font> a|b ~s~")).toBe(
      "\\*bold\\* \\_it\\_ \\`code\\` \\[x\\](http://e) \\<font color=red\\>\\#h\\</font\\> a\\|b \\~s\\~",
    );
    expect(escapeMarkdown("- list")).toBe("\\- list");
    expect(escapeMarkdown("1. first")).toBe("1\\. first");
    expect(escapeMarkdown("unit-x.y")).toBe("unit-x.y");
  });

  it("puts lines in Feishu plain_text, where markdown and <at> tags are not interpreted", () => {
    const card = renderFeishuCard({ title: "t", lines: ['<at user_id="all"></at> **x**'] });
    expect(card.elements[0]).toEqual({
      tag: "div",
      text: { tag: "plain_text", content: '• <at user_id="all"></at> **x**' },
    });
  });
});

describe("caps for a phone", () => {
  const many: ChatMessage = { title: "Run", lines: Array.from({ length: 25 }, (_, i) => `line ${i + 1}`) };

  it("shows at most MAX_LINES lines and says how many more and where to see them", () => {
    const text = slackSection(many);
    const lines = text.split("\n");

    expect(lines).toHaveLength(MAX_LINES + 1);
    expect(lines[MAX_LINES - 1]).toBe(`• line ${MAX_LINES}`);
    expect(lines.at(-1)).toBe(`… ${25 - MAX_LINES} more; run \`history\` to see all`);
  });

  it("names the message's own command in the note", () => {
    expect(
      slackSection({ ...many, more: "report run-42" })
        .split("\n")
        .at(-1),
    ).toBe("… 15 more; run `reportrun-42` to see all");
    expect(renderDingTalk({ ...many, more: "history" })).toMatchObject({ msgtype: "markdown" });
  });

  it("cuts a long line with an ellipsis, never inside a surrogate pair", () => {
    const long = "😀".repeat(MAX_LINE_CHARS + 50);
    const line = slackSection({ title: "t", lines: [long] }).slice(2);

    expect(Array.from(line)).toHaveLength(MAX_LINE_CHARS);
    expect(line.endsWith("…")).toBe(true);
    expect(LONE_SURROGATE.test(line)).toBe(false);
  });

  it("keeps WeCom markdown within its byte limit, dropping lines rather than cutting the note", () => {
    const wide: ChatMessage = { title: "容量", lines: Array.from({ length: 10 }, () => "资".repeat(190)) };
    const content = renderWeComMarkdown(wide).markdown.content;

    expect(Buffer.byteLength(content, "utf8")).toBeLessThanOrEqual(WECOM_APP_MARKDOWN_BYTES);
    expect(content).toMatch(/… \d+ more; run `history` to see all$/);
  });

  it("shows nothing extra when everything fits", () => {
    expect(slackSection({ title: "t", lines: ["a", "b"] })).toBe("• a\n• b");
  });
});

describe("confirmation prompts", () => {
  const confirm = { id: "cf-123", code: "K7Q2", label: "Release 3 units", expiresAt: "14:05" };
  const message: ChatMessage = { title: "Release?", lines: ["unit-a", "unit-b"], confirm };

  it("gives Slack a button whose value is confirm:<id>, and the code in words", () => {
    const { blocks } = renderSlack(message);
    const actions = blocks.find((b) => b.type === "actions") as { elements: Array<Record<string, unknown>> };

    expect(actions.elements[0]).toMatchObject({
      type: "button",
      action_id: "confirm",
      value: "confirm:cf-123",
    });
    expect(JSON.stringify(blocks)).toContain("reply `confirm K7Q2` before 14:05");
  });

  it("gives a Feishu card a button valued {confirm: id}, and leaves it out for custom bots", () => {
    expect(JSON.stringify(renderFeishuCard(message))).toContain('"value":{"confirm":"cf-123"}');
    const botCard = renderFeishuCard(message, { buttons: false });
    expect(botCard.elements.some((e) => e.tag === "action")).toBe(false);
    expect(JSON.stringify(botCard)).toContain("confirm K7Q2");
  });

  it("gives DingTalk an actionCard whose button sends `confirm <code>` back", () => {
    const payload = renderDingTalk(message);

    expect(payload.msgtype).toBe("actionCard");
    if (payload.msgtype !== "actionCard") return;
    expect(payload.actionCard.singleURL).toBe("dtmd://dingtalkclient/sendMessage?content=confirm%20K7Q2");
    expect(payload.actionCard.text).toContain("reply `confirm K7Q2`");
  });

  it("gives WeCom a button_interaction card with key confirm:<id>", () => {
    const { template_card: card } = renderWeComTemplateCard(message);

    expect(card.card_type).toBe("button_interaction");
    expect(card.button_list).toEqual([{ text: "Release 3…", style: 1, key: "confirm:cf-123" }]);
    expect(card.task_id).toMatch(/^[A-Za-z0-9_@-]{1,128}$/);
  });

  it("keeps a hostile id or code from leaving its value or code span", () => {
    const hostile = renderSlack({
      title: "t",
      lines: [],
      confirm: { id: 'x" `<!channel>', code: "A`B <c>", label: "ok", expiresAt: "soon" },
    });
    const text = JSON.stringify(hostile);

    expect(text).toContain('"value":"confirm:xchannel"');
    expect(text).toContain("`confirm ABc`");
  });
});

describe("property: nothing a user controls reaches a platform as a control or bidi character", () => {
  const nasty = fc.string({
    unit: fc.oneof(
      fc.constantFrom(
        "\n",
        "\r",
        "\t",
        "\u0000",
        "\u001b",
        "\u007f",
        "\u0085",
        "\u009b",
        "\u061c",
        "\u200e",
        "\u200f",
        "\u2028",
        "\u2029",
        "\u202a",
        "\u202e",
        "\u2066",
        "\u2069",
        "\ufeff",
        "\ud83d",
        "\ude00",
        "<",
        ">",
        "&",
        "*",
        "`",
        "_",
      ),
      fc.string({ unit: "grapheme", maxLength: 1 }),
    ),
    maxLength: 60,
  });
  const messages = fc.record(
    {
      title: nasty,
      lines: fc.array(nasty, { maxLength: 14 }),
      confirm: fc.record({ id: nasty, code: nasty, label: nasty, expiresAt: nasty }),
      more: nasty,
    },
    { requiredKeys: ["title", "lines"] },
  );

  it("renders with no control, bidi or lone-surrogate character, and only our own line breaks", () => {
    fc.assert(
      fc.property(messages, (message) => {
        for (const payload of renderAll(message)) {
          for (const text of strings(payload)) {
            expect(UNSAFE.test(text)).toBe(false);
            expect(LONE_SURROGATE.test(text)).toBe(false);
          }
        }
        // Each line is one line: a user's break cannot make another.
        const shown = Math.min(message.lines.length, MAX_LINES) + (message.lines.length > MAX_LINES ? 1 : 0);
        if (message.lines.length > 0) expect(slackSection(message).split("\n")).toHaveLength(shown);
      }),
      { numRuns: 300 },
    );
  });
});
