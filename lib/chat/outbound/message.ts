/**
 * What we say in chat, in one platform-neutral shape, and how each platform is shown it. Every
 * piece of text here may come from a resource name, a platform message or a user: each renderer
 * drops control and bidi characters, caps lengths for a phone screen and escapes the text for its
 * format, so nothing can forge a line, mention a whole room or reorder what people read.
 */

/** A message for people: a title, a few lines, and optionally a confirmation to ask for. */
export interface ChatMessage {
  title: string;
  lines: string[];
  /** Ask the reader to confirm a pending action: by button where the platform has one, else by typing the code. */
  confirm?: { id: string; code: string; label: string; expiresAt: string };
  /** The command that shows everything when lines are left out (default `history`). */
  more?: string;
}

/** Lines shown before "… N more". */
export const MAX_LINES = 10;
/** Characters (code points) of one line before it is cut with "…". */
export const MAX_LINE_CHARS = 200;
/** Characters of a title. */
export const MAX_TITLE_CHARS = 80;

/**
 * Characters dropped from every text: C0 and C1 controls and DEL, Unicode line and paragraph
 * separators, bidi embeddings, overrides, isolates and marks, and the byte-order mark. Line breaks
 * and tabs become spaces first, so a value cannot start a line of its own.
 */
export const UNSAFE_CHARS =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
const BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]+/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text with breaks turned into spaces and every control or bidi character dropped. */
export function cleanText(text: string): string {
  return String(text).replace(BREAKS, " ").replace(UNSAFE_CHARS, "").replace(LONE_SURROGATE, "\ufffd");
}

/** Cleaned text cut to `max` code points, ending in "…" when cut (never inside a surrogate pair). */
export function capText(text: string, max: number): string {
  const chars = Array.from(cleanText(text));
  return chars.length <= max ? chars.join("") : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** Slack mrkdwn: only `&`, `<` and `>` are control characters (docs.slack.dev, "Escaping text"). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Markdown (DingTalk, WeCom): a backslash before each character that starts emphasis, code, a
 * link, a heading, a table cell, an entity or inline HTML (`<font>`, `<at>`) anywhere, and before
 * a list or quote marker at the start — not before every `-` or `.`, so ids stay readable.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\`*_~[\]<>#|&]/g, (char) => `\\${char}`)
    .replace(/^[-+=]/, (start) => `\\${start}`)
    .replace(/^(\d+)([.)])/, "$1\\$2");
}

/** A confirmation code or command as it may appear inside a code span: letters, digits and `-_.:`. */
function codeWord(text: string): string {
  return cleanText(text)
    .replace(/[^A-Za-z0-9_.:-]/g, "")
    .slice(0, 64);
}

/** A confirmation id as it may travel in a button value. */
function confirmId(text: string): string {
  return codeWord(text).slice(0, 100);
}

const utf8Bytes = (text: string) => Buffer.byteLength(text, "utf8");
const codePoints = (text: string) => Array.from(text).length;

interface Fit {
  /** How each kept line is written (escaped, prefixed). */
  line: (text: string) => string;
  /** How the "N more" note is written. */
  overflow: (count: number, command: string) => string;
  /** How the lines are joined. */
  separator: string;
  /** Size of the joined text and its limit (characters or bytes, as the platform counts). */
  measure: (text: string) => number;
  budget: number;
}

/**
 * The lines that fit: at most {@link MAX_LINES}, each cut at {@link MAX_LINE_CHARS}, within the
 * platform's size budget, with "… N more; run `history` to see all" when some were left out.
 */
export function fitLines(message: ChatMessage, fit: Fit): string[] {
  const all = message.lines.map((line) => fit.line(capText(line, MAX_LINE_CHARS)));
  const command = codeWord(message.more ?? "history") || "history";
  const total = (kept: string[]) => fit.measure(kept.join(fit.separator));
  if (all.length <= MAX_LINES && total(all) <= fit.budget) return all;
  for (let count = Math.min(all.length - 1, MAX_LINES); count >= 0; count -= 1) {
    const kept = [...all.slice(0, count), fit.overflow(all.length - count, command)];
    if (total(kept) <= fit.budget) return kept;
  }
  return [fit.overflow(all.length, command)];
}

const plainOverflow = (count: number, command: string) => `… ${count} more; run \`${command}\` to see all`;

/** What the reader is asked to do to confirm, in plain words. */
function confirmSentence(confirm: NonNullable<ChatMessage["confirm"]>, code: (word: string) => string) {
  const expires = capText(confirm.expiresAt, 40);
  return `To go ahead, reply ${code(`confirm ${codeWord(confirm.code)}`)} before ${expires}.`;
}

// ---------------------------------------------------------------------------------------- Slack

/** A Slack message body (Block Kit), for a response_url or an incoming webhook. */
export interface SlackPayload {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

/**
 * Slack Block Kit: a header, the lines as one mrkdwn section (3,000 characters at most) and, for
 * a confirmation, a button whose value is `confirm:<id>` — what the interactivity handler reads.
 */
export function renderSlack(message: ChatMessage): SlackPayload {
  const title = capText(message.title, MAX_TITLE_CHARS) || "qfhk";
  const lines = fitLines(message, {
    line: (text) => `• ${escapeSlack(text)}`,
    overflow: plainOverflow,
    separator: "\n",
    measure: codePoints,
    budget: 3000,
  });
  const blocks: Array<Record<string, unknown>> = [
    { type: "header", text: { type: "plain_text", text: title, emoji: false } },
  ];
  if (lines.length > 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: lines.join("\n") } });
  if (message.confirm) {
    const sentence = confirmSentence(message.confirm, (word) => `\`${word}\``);
    blocks.push({ type: "section", text: { type: "mrkdwn", text: escapeSlack(sentence) } });
    blocks.push({
      type: "actions",
      block_id: "qfhk-confirm",
      elements: [
        {
          type: "button",
          action_id: "confirm",
          style: "danger",
          text: { type: "plain_text", text: capText(message.confirm.label, 30) || "Confirm", emoji: false },
          value: `confirm:${confirmId(message.confirm.id)}`,
        },
      ],
    });
  }
  return { text: escapeSlack(title), blocks };
}

// --------------------------------------------------------------------------------------- Feishu

/**
 * A Feishu interactive card (JSON 1.0). The lines go in `plain_text` elements, which Feishu shows
 * as they are — no markdown, no `<at>` tags — so cleaning is all the escaping they need. The
 * confirmation button's value is `{confirm: id}`, which comes back in the card callback; custom
 * bots cannot take callbacks, so `buttons: false` leaves the button out and keeps the code.
 */
export function renderFeishuCard(message: ChatMessage, options: { buttons?: boolean } = {}) {
  const title = capText(message.title, MAX_TITLE_CHARS) || "qfhk";
  const lines = fitLines(message, {
    line: (text) => `• ${text}`,
    overflow: plainOverflow,
    separator: "\n",
    measure: codePoints,
    budget: 4000,
  });
  const elements: Array<Record<string, unknown>> = [];
  if (lines.length > 0) elements.push({ tag: "div", text: { tag: "plain_text", content: lines.join("\n") } });
  if (message.confirm) {
    const sentence = confirmSentence(message.confirm, (word) => `“${word}”`);
    elements.push({ tag: "div", text: { tag: "plain_text", content: sentence } });
    if (options.buttons !== false) {
      elements.push({
        tag: "action",
        actions: [
          {
            tag: "button",
            type: "danger",
            text: { tag: "plain_text", content: capText(message.confirm.label, 30) || "Confirm" },
            value: { confirm: confirmId(message.confirm.id) },
          },
        ],
      });
    }
  }
  return {
    config: { wide_screen_mode: true },
    header: {
      template: message.confirm ? "orange" : "blue",
      title: { tag: "plain_text", content: title },
    },
    elements,
  };
}

// ------------------------------------------------------------------------------------- DingTalk

export type DingTalkPayload =
  | { msgtype: "markdown"; markdown: { title: string; text: string } }
  | {
      msgtype: "actionCard";
      actionCard: { title: string; text: string; singleTitle: string; singleURL: string };
    };

/** The markdown body shared by DingTalk's markdown and actionCard messages. */
function dingTalkText(message: ChatMessage, title: string): string {
  const lines = fitLines(message, {
    line: (text) => `- ${escapeMarkdown(text)}`,
    overflow: (count, command) => `- ${escapeMarkdown(`… ${count} more; run`)} \`${command}\` to see all`,
    separator: "\n",
    measure: codePoints,
    budget: 4000,
  });
  const parts = [`#### ${escapeMarkdown(title)}`];
  if (lines.length > 0) parts.push(lines.join("\n"));
  if (message.confirm) parts.push(escapeConfirm(message.confirm));
  return parts.join("\n\n");
}

/** The confirmation sentence in markdown: the code in a code span, the rest escaped. */
function escapeConfirm(confirm: NonNullable<ChatMessage["confirm"]>): string {
  const expires = escapeMarkdown(capText(confirm.expiresAt, 40));
  return `To go ahead, reply \`confirm ${codeWord(confirm.code)}\` before ${expires}.`;
}

/**
 * DingTalk: markdown, or for a confirmation an actionCard whose button makes the DingTalk client
 * send `confirm <code>` back into the conversation (the `dtmd://dingtalkclient/sendMessage` link),
 * where the bot takes it as a command; the text names the code too, for clients that do not.
 */
export function renderDingTalk(message: ChatMessage): DingTalkPayload {
  const title = capText(message.title, MAX_TITLE_CHARS) || "qfhk";
  const text = dingTalkText(message, title);
  if (!message.confirm) return { msgtype: "markdown", markdown: { title, text } };
  const content = `confirm ${codeWord(message.confirm.code)}`;
  return {
    msgtype: "actionCard",
    actionCard: {
      title,
      text,
      singleTitle: capText(message.confirm.label, 30) || "Confirm",
      singleURL: `dtmd://dingtalkclient/sendMessage?content=${encodeURIComponent(content)}`,
    },
  };
}

/**
 * DingTalk's interactive card (template StandardCard) for a confirmation: the same markdown, with
 * the code, and a Confirm button that sends `params` back to the card callback.
 */
export function renderDingTalkCard(message: ChatMessage, params: Record<string, string | number>) {
  const title = capText(message.title, MAX_TITLE_CHARS) || "qfhk";
  const label = capText(message.confirm?.label ?? "", 30) || "Confirm";
  return {
    config: { autoLayout: true, enableForward: false },
    header: { title: { type: "text", text: title } },
    contents: [
      { type: "markdown", text: dingTalkText(message, title), id: "text" },
      {
        type: "action",
        id: "actions",
        actions: [
          {
            type: "button",
            id: "confirm",
            label: { type: "text", text: label },
            actionType: "request",
            status: "primary",
            params,
          },
        ],
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------- WeCom

/** WeCom app messages take at most 2,048 bytes of markdown; group bots 4,096. */
export const WECOM_APP_MARKDOWN_BYTES = 2048;
export const WECOM_BOT_MARKDOWN_BYTES = 4096;

/** WeCom markdown (app message, app chat or group bot), within `maxBytes` of UTF-8. */
export function renderWeComMarkdown(message: ChatMessage, maxBytes = WECOM_APP_MARKDOWN_BYTES) {
  const title = `**${escapeMarkdown(capText(message.title, MAX_TITLE_CHARS) || "qfhk")}**`;
  const confirm = message.confirm ? escapeConfirm(message.confirm) : undefined;
  const fixed = utf8Bytes(title) + (confirm ? utf8Bytes(confirm) + 2 : 0) + 2;
  const lines = fitLines(message, {
    line: (text) => escapeMarkdown(text),
    overflow: (count, command) => `${escapeMarkdown(`… ${count} more; run`)} \`${command}\` to see all`,
    separator: "\n",
    measure: utf8Bytes,
    budget: Math.max(0, maxBytes - fixed),
  });
  const parts = [title];
  if (lines.length > 0) parts.push(lines.join("\n"));
  if (confirm) parts.push(confirm);
  return { msgtype: "markdown" as const, markdown: { content: parts.join("\n\n") } };
}

/**
 * A WeCom `button_interaction` template card: the title, the first lines as the subtitle, and a
 * button whose key is `confirm:<id>` (the template-card event gives it back as EventKey).
 */
export function renderWeComTemplateCard(message: ChatMessage) {
  const confirm = message.confirm;
  const id = confirm ? confirmId(confirm.id) : "";
  const subtitle = capText(
    message.lines.map((line) => cleanText(line)).join(" · ") +
      (confirm ? ` · or reply “confirm ${codeWord(confirm.code)}”` : ""),
    112,
  );
  return {
    msgtype: "template_card" as const,
    template_card: {
      card_type: "button_interaction",
      main_title: {
        title: capText(message.title, 26) || "qfhk",
        ...(confirm ? { desc: capText(`expires ${confirm.expiresAt}`, 30) } : {}),
      },
      sub_title_text: subtitle,
      // task_id: at most 128 bytes of letters, digits and `_-@`, unique per card.
      task_id: `confirm-${id.replace(/[^A-Za-z0-9_@-]/g, "-")}`.slice(0, 128),
      button_list: confirm
        ? [{ text: capText(confirm.label, 10) || "Confirm", style: 1, key: `confirm:${id}` }]
        : [],
    },
  };
}
