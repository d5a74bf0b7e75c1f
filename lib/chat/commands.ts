import { formatDuration, parseDuration, TpmModelId } from "../config/runtime";
import { parseInstant } from "../engine/clock";
import { isJobName, JOB_NAMES, type JobName } from "../jobs/names";
import { checkResourceId } from "../state/resource-id";

/** A job a command names: one of the jobs, or `all` of them. */
export type JobSelection = JobName | "all";

/**
 * A chat command, the same on every platform. Plain JSON data (durations in milliseconds, times as
 * ISO strings), so a command can be stored with its confirmation or handed to another function.
 */
export type ChatCommand =
  | { verb: "help"; topic?: HelpTopic }
  | { verb: "status" }
  | { verb: "plan"; job: JobSelection }
  | { verb: "run"; job: JobSelection; apply: boolean }
  | { verb: "release"; unitId: string }
  | { verb: "scale"; serviceId: string; unitId: string; replicas: number }
  /** Force a service up for `forMs`, whatever its schedule says. */
  | { verb: "up"; serviceId: string; forMs: number }
  | { verb: "stop"; taskId: string }
  /** `until`: when the platform should release the purchase, as a UTC ISO instant. */
  | { verb: "tpm-buy"; model: string; count: number; until?: string }
  | { verb: "tpm-release"; instanceId: string }
  | { verb: "snooze"; id: string; durationMs: number }
  | { verb: "unsnooze"; id: string }
  | { verb: "snoozes" }
  | { verb: "history"; limit: number }
  /** Carries out a command waiting for confirmation, by its one-time code (or its id). */
  | { verb: "confirm"; code: string };

export type ChatVerb = ChatCommand["verb"];

/** What {@link parseCommand} gives: a command, or a message for the person who typed the text. */
export type ParseResult = { ok: true; command: ChatCommand } | { ok: false; message: string };

/** How long `up <service>` keeps a service up when no duration is given: one working session. */
export const DEFAULT_UP_MS = 2 * 3_600_000;
/** The longest force-up: beyond a week it is a schedule change, which belongs in the config. */
export const MAX_UP_MS = 7 * 86_400_000;
/** The longest snooze: a month; anything longer is a protection rule, which belongs in the config. */
export const MAX_SNOOZE_MS = 30 * 86_400_000;
/** The most replicas `scale` sets: far above any real service, low enough to catch a typo. */
export const MAX_REPLICAS = 100;
/** The most TPM units one `tpm buy` buys (the run's budget guard still applies). */
export const MAX_TPM_COUNT = 100;
/** `history` without a number, and the most it shows: a phone screen's worth. */
export const DEFAULT_HISTORY = 10;
export const MAX_HISTORY = 50;
/** Longer text is no command: a paste or an attack. */
const MAX_TEXT_LENGTH = 1000;

/** One-time codes are 6 digits; confirmation ids are 128 random bits, base64url (22 characters). */
const CONFIRM_CODE = /^(?:\d{6}|[A-Za-z0-9_-]{22})$/;

const USAGES = {
  help: "help [command]",
  status: "status",
  plan: "plan [job]",
  run: "run <job> [--apply]",
  release: "release <unit>",
  scale: "scale <service> <unit> <replicas>",
  up: "up <service> [for <duration>]",
  stop: "stop <task>",
  "tpm-buy": "tpm buy <model> <count> [--until <time>]",
  "tpm-release": "tpm release <instance>",
  snooze: "snooze <id> <duration>",
  unsnooze: "unsnooze <id>",
  snoozes: "snoozes",
  history: "history [n]",
  confirm: "confirm <code>",
} as const satisfies Record<ChatVerb, string>;

/** The words a command starts with, as typed (`tpm` takes a second word: buy or release). */
const TOPICS = [
  "help",
  "status",
  "plan",
  "run",
  "release",
  "scale",
  "up",
  "stop",
  "tpm",
  "snooze",
  "unsnooze",
  "snoozes",
  "history",
  "confirm",
] as const;
export type HelpTopic = (typeof TOPICS)[number];

const isTopic = (word: string): word is HelpTopic => (TOPICS as readonly string[]).includes(word);

/** The help a phone shows without scrolling. */
export const HELP_TEXT = [
  "qfhk commands:",
  "status · history [n] · snoozes",
  "plan [job] · run <job> [--apply]",
  "release <unit> · stop <task>",
  "scale <service> <unit> <replicas>",
  "up <service> [for 2h]",
  "tpm buy <model> <count> [--until <time>]",
  "tpm release <instance>",
  "snooze <id> <duration> · unsnooze <id>",
  "confirm <code>",
  `jobs: ${JOB_NAMES.join(", ")}, all`,
  "durations: 30m, 2h, 1d; times: 2026-11-23T18:00+08:00",
].join("\n");

/**
 * The usage line of a command (`release`, `tpm`, `tpm buy`, `tpm-buy`), or every usage line when
 * `verb` is absent or no command.
 */
export function usage(verb?: string): string {
  const word = verb?.trim().toLowerCase().replace(/\s+/g, "-");
  if (word === "tpm") return `${USAGES["tpm-buy"]}\n${USAGES["tpm-release"]}`;
  if (word !== undefined && Object.hasOwn(USAGES, word)) return USAGES[word as ChatVerb];
  return Object.values(USAGES).join("\n");
}

/** Renders a command canonically: what a confirmation is bound to, and what parses back to it. */
export function commandText(cmd: ChatCommand): string {
  switch (cmd.verb) {
    case "help":
      return cmd.topic ? `help ${cmd.topic}` : "help";
    case "status":
    case "snoozes":
      return cmd.verb;
    case "plan":
      return `plan ${cmd.job}`;
    case "run":
      return `run ${cmd.job}${cmd.apply ? " --apply" : ""}`;
    case "release":
      return `release ${cmd.unitId}`;
    case "scale":
      return `scale ${cmd.serviceId} ${cmd.unitId} ${cmd.replicas}`;
    case "up":
      return `up ${cmd.serviceId} for ${formatDuration(cmd.forMs)}`;
    case "stop":
      return `stop ${cmd.taskId}`;
    case "tpm-buy":
      return `tpm buy ${cmd.model} ${cmd.count}${cmd.until ? ` --until ${cmd.until}` : ""}`;
    case "tpm-release":
      return `tpm release ${cmd.instanceId}`;
    case "snooze":
      return `snooze ${cmd.id} ${formatDuration(cmd.durationMs)}`;
    case "unsnooze":
      return `unsnooze ${cmd.id}`;
    case "history":
      return `history ${cmd.limit}`;
    case "confirm":
      return `confirm ${cmd.code}`;
  }
}

/** True when the command changes something: the platform, or what the housekeeper remembers. */
export function isChange(cmd: ChatCommand): boolean {
  switch (cmd.verb) {
    case "help":
    case "status":
    case "plan":
    case "snoozes":
    case "history":
      return false;
    case "run":
      // Without --apply a run only plans and reports.
      return cmd.apply;
    default:
      return true;
  }
}

/**
 * True when the command destroys or spends and is only carried out after the sender confirms it.
 * Every `scale` counts: whether the target is below the current size is known only when it runs.
 */
export function needsConfirmation(cmd: ChatCommand): boolean {
  switch (cmd.verb) {
    case "release":
    case "stop":
    case "scale":
    case "tpm-buy":
    case "tpm-release":
      return true;
    case "run":
      return cmd.apply;
    default:
      return false;
  }
}

/**
 * Parses what a person typed after the bot's mention or slash command. Never throws: anything but a
 * command gives a message with the usage of the closest command. Empty text asks for help.
 */
export function parseCommand(text: string): ParseResult {
  if (typeof text !== "string") return fail("expected the text of a command");
  if (text.length > MAX_TEXT_LENGTH) return fail(`a command is at most ${MAX_TEXT_LENGTH} characters`);
  const tokens = tokenize(text);
  const first = tokens.shift();
  if (first === undefined) return { ok: true, command: { verb: "help" } };
  const word = first.toLowerCase();
  if (!isTopic(word)) return unknownCommand(first);
  try {
    return { ok: true, command: PARSERS[word](tokens) };
  } catch (error) {
    if (error instanceof UsageError) return fail(`${error.message}\nusage: ${usage(error.verb)}`);
    // A chat request must always get an answer, even from a parser bug.
    return fail(`cannot read that command\nusage: ${usage(word)}`);
  }
}

/** A malformed command, thrown inside the parser and turned into a message by {@link parseCommand}. */
class UsageError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "UsageError";
  override name = "UsageError";
  constructor(
    readonly verb: string,
    message: string,
  ) {
    super(message);
  }
}

const fail = (message: string): ParseResult => ({ ok: false, message });

// Phone keyboards turn quotes curly and "--" into a dash; none of them is part of any id.
const QUOTES = /["'`\u2018-\u201f\u2032-\u2037\u00ab\u00bb\u300c-\u300f\u301d-\u301f]/g;
const DASHES = /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g;
const INVISIBLE = /[\u00ad\u200b-\u200f\u2060-\u2064\ufeff]/g;
// Feishu's rich-text mention; Slack's <@U123|name>, <!here>; plain "@bot" and Feishu's "@_user_1".
const FEISHU_AT = /<at\b[^>]{0,200}>[^<]{0,200}<\/at>/gi;
const SLACK_MENTION = /<[@!#][^>]{0,200}>/g;
// A sentence's end ("release unit-1." after a double space on iOS); no id ends with these.
const TRAILING_PUNCTUATION = /[\s.,;!?。，；！？]+$/u;

/** The words of a command, with phone-keyboard and mention leftovers cleaned away. */
function tokenize(text: string): string[] {
  const clean = text
    .normalize("NFKC")
    .replace(FEISHU_AT, " ")
    .replace(SLACK_MENTION, " ")
    .replace(INVISIBLE, "")
    .replace(QUOTES, "")
    .replace(TRAILING_PUNCTUATION, "");
  const tokens = clean
    .split(/\s+/)
    .filter((t) => t !== "" && !t.startsWith("@"))
    .map(normalizeDashes);
  const lead = tokens[0]?.toLowerCase();
  if (lead === "/qfhk" || lead === "qfhk") tokens.shift();
  return tokens;
}

/** A dash opening a word is an option's "--" (autocorrected); any other is a plain hyphen. */
function normalizeDashes(token: string): string {
  const opened = /^-?[\u2013-\u2015\u2212]+-?/.exec(token);
  const rest = (opened ? token.slice(opened[0].length) : token).replace(DASHES, "-");
  return opened ? `--${rest}` : rest;
}

type Parser = (args: string[]) => ChatCommand;

const PARSERS = {
  help: (args) => {
    const [topic] = positional("help", args, 0, 1);
    if (topic === undefined) return { verb: "help" };
    const word = topic.toLowerCase();
    if (!isTopic(word)) {
      const closest = closestOf(word, TOPICS);
      throw new UsageError(
        "help",
        `no command '${shown(topic)}'${closest ? `; did you mean ${closest}?` : ""}`,
      );
    }
    return { verb: "help", topic: word };
  },
  status: (args) => {
    positional("status", args, 0, 0);
    return { verb: "status" };
  },
  plan: (args) => {
    const [job] = positional("plan", args, 0, 1);
    return { verb: "plan", job: job === undefined ? "all" : jobOf("plan", job) };
  },
  run: (args) => {
    const { flags, rest } = options("run", args, ["apply"]);
    const [job] = positional("run", rest, 1, 1);
    return { verb: "run", job: jobOf("run", job!), apply: flags.has("apply") };
  },
  release: (args) => {
    const [unit] = positional("release", args, 1, 1);
    return { verb: "release", unitId: idOf("release", unit!) };
  },
  scale: (args) => {
    const [service, unit, replicas] = positional("scale", args, 3, 3);
    return {
      verb: "scale",
      serviceId: idOf("scale", service!),
      unitId: idOf("scale", unit!),
      replicas: countOf("scale", replicas!, 0, MAX_REPLICAS, "replicas"),
    };
  },
  up: (args) => {
    const [service, ...rest] = positional("up", args, 1, 3);
    const duration = withoutFor("up", rest);
    if (duration.length > 1) throw new UsageError("up", `too many words ('${shown(duration[1]!)}')`);
    return {
      verb: "up",
      serviceId: idOf("up", service!),
      forMs: duration[0] === undefined ? DEFAULT_UP_MS : durationOf("up", duration[0], MAX_UP_MS),
    };
  },
  stop: (args) => {
    const [task] = positional("stop", args, 1, 1);
    return { verb: "stop", taskId: idOf("stop", task!) };
  },
  tpm: (args) => {
    const [sub, ...rest] = args;
    const word = sub?.toLowerCase();
    if (word === "buy") return parseTpmBuy(rest);
    if (word === "release") {
      const [instance] = positional("tpm-release", rest, 1, 1);
      return { verb: "tpm-release", instanceId: idOf("tpm-release", instance!) };
    }
    if (word === undefined) throw new UsageError("tpm", "'tpm' needs buy or release");
    const closest = closestOf(word, ["buy", "release"]);
    throw new UsageError(
      closest ? `tpm-${closest}` : "tpm",
      `unknown tpm command '${shown(sub!)}'${closest ? `; did you mean tpm ${closest}?` : ""}`,
    );
  },
  snooze: (args) => {
    const [id, ...rest] = positional("snooze", args, 2, 3);
    const duration = withoutFor("snooze", rest);
    if (duration.length !== 1) throw new UsageError("snooze", `too many words ('${shown(duration[1]!)}')`);
    return {
      verb: "snooze",
      id: idOf("snooze", id!),
      durationMs: durationOf("snooze", duration[0]!, MAX_SNOOZE_MS),
    };
  },
  unsnooze: (args) => {
    const [id] = positional("unsnooze", args, 1, 1);
    return { verb: "unsnooze", id: idOf("unsnooze", id!) };
  },
  snoozes: (args) => {
    positional("snoozes", args, 0, 0);
    return { verb: "snoozes" };
  },
  history: (args) => {
    const [n] = positional("history", args, 0, 1);
    return {
      verb: "history",
      limit: n === undefined ? DEFAULT_HISTORY : countOf("history", n, 1, MAX_HISTORY),
    };
  },
  confirm: (args) => {
    const [code] = positional("confirm", args, 1, 1);
    if (!CONFIRM_CODE.test(code!)) {
      throw new UsageError("confirm", `'${shown(code!)}' is no confirmation code (6 digits)`);
    }
    return { verb: "confirm", code: code! };
  },
} satisfies Record<HelpTopic, Parser>;

function parseTpmBuy(args: string[]): ChatCommand {
  const { values, rest } = options("tpm-buy", args, [], ["until"]);
  const [model, count] = positional("tpm-buy", rest, 2, 2);
  const checked = TpmModelId.safeParse(model);
  if (!checked.success) {
    throw new UsageError("tpm-buy", `'${shown(model!)}' is no model id: ${checked.error.issues[0]?.message}`);
  }
  const until = values.get("until");
  let untilIso: string | undefined;
  if (until !== undefined) {
    const instant = parseInstant(until);
    if (!instant) {
      throw new UsageError(
        "tpm-buy",
        `'${shown(until)}' is no time; write it with its zone, like 2026-11-23T18:00+08:00`,
      );
    }
    untilIso = instant.toISOString();
  }
  return {
    verb: "tpm-buy",
    model: checked.data,
    count: countOf("tpm-buy", count!, 1, MAX_TPM_COUNT, "count"),
    ...(untilIso ? { until: untilIso } : {}),
  };
}

/** `--apply`, `-apply`, `--until=T`: one or two dashes, then a letter. */
const OPTION = /^--?([A-Za-z][A-Za-z-]*)(?:=(.*))?$/;

/** A duration's words without the optional "for" before them (`up svc for 4h`). */
function withoutFor(verb: string, words: string[]): string[] {
  if (words[0]?.toLowerCase() !== "for") return words;
  if (words.length === 1) throw new UsageError(verb, "missing the <duration> after 'for'");
  return words.slice(1);
}

/** The words that are no options, checked to number between `min` and `max`. */
function positional(verb: string, args: string[], min: number, max: number): string[] {
  const option = args.find((a) => OPTION.test(a));
  if (option !== undefined) throw new UsageError(verb, `unknown option '${shown(option)}'`);
  if (args.length < min) {
    const required =
      usage(verb)
        .replace(/\[[^\]]*\]/g, "")
        .match(/<[^>]+>/g) ?? [];
    throw new UsageError(verb, `missing ${required.slice(args.length).join(" ")}`);
  }
  if (args.length > max) throw new UsageError(verb, `too many words ('${shown(args[max]!)}')`);
  return args;
}

/**
 * Takes the options out of `args`: `flags` stand alone (`--apply`), `valued` ones take the next word
 * or `=value` (`--until T`). One or two leading dashes, any case.
 */
function options(
  verb: string,
  args: string[],
  flagNames: string[],
  valuedNames: string[] = [],
): { flags: Set<string>; values: Map<string, string>; rest: string[] } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const m = OPTION.exec(arg);
    if (!m) {
      rest.push(arg);
      continue;
    }
    const name = m[1]!.toLowerCase();
    if (flagNames.includes(name) && m[2] === undefined) {
      flags.add(name);
    } else if (valuedNames.includes(name)) {
      let value = m[2];
      if (value === undefined) {
        i += 1;
        value = args[i];
      }
      if (value === undefined || value === "") throw new UsageError(verb, `--${name} needs a value`);
      if (values.has(name)) throw new UsageError(verb, `--${name} is given twice`);
      values.set(name, value);
    } else {
      throw new UsageError(verb, `unknown option '${shown(arg)}'`);
    }
  }
  return { flags, values, rest };
}

function jobOf(verb: string, word: string): JobSelection {
  const job = word.toLowerCase();
  if (job === "all" || isJobName(job)) return job;
  const closest = closestOf(job, [...JOB_NAMES, "all"]);
  throw new UsageError(
    verb,
    `unknown job '${shown(word)}'${closest ? `; did you mean ${closest}?` : `; jobs: ${JOB_NAMES.join(", ")}, all`}`,
  );
}

function idOf(verb: string, word: string): string {
  if (checkResourceId(word).ok) return word;
  // Not checkResourceId's own words: they quote the id whole, and a reply must not.
  throw new UsageError(
    verb,
    word.length > 200
      ? "an id is at most 200 characters"
      : `'${shown(word)}' is no resource id: letters, digits and . _ : / + - @, starting with a letter or digit`,
  );
}

function countOf(verb: string, word: string, min: number, max: number, what = "n"): number {
  const n = /^\d{1,6}$/.test(word) ? Number(word) : Number.NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(verb, `${what} must be a whole number from ${min} to ${max}, got '${shown(word)}'`);
  }
  return n;
}

function durationOf(verb: string, word: string, max: number): number {
  // "2H" and "pt2h" are meant as "2h" and "PT2H".
  const ms = parseDuration(word) ?? parseDuration(word.toLowerCase()) ?? parseDuration(word.toUpperCase());
  if (ms === undefined)
    throw new UsageError(verb, `'${shown(word)}' is no duration; write it like 30m, 2h or 1d`);
  if (ms === 0) throw new UsageError(verb, "the duration must be longer than zero");
  if (ms > max) throw new UsageError(verb, `the duration must be at most ${max / 86_400_000}d`);
  return ms;
}

/** The answer to a word that is no command: the usage of the closest, or a pointer to help. */
function unknownCommand(word: string): ParseResult {
  const closest = closestOf(word.toLowerCase(), TOPICS);
  return fail(
    closest
      ? `unknown command '${shown(word)}'; did you mean: ${usage(closest).replace("\n", " or ")}`
      : `unknown command '${shown(word)}'; send 'help' for the commands`,
  );
}

/** The candidate nearest `word` by edit distance, when near enough to be a typo of it. */
function closestOf(word: string, candidates: readonly string[]): string | undefined {
  const typed = word.slice(0, 40);
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate);
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  // Two edits for longer words, one for short ones: "sop" → stop, but "x" is not "up".
  const allowed = Math.max(1, Math.min(2, Math.floor(typed.length / 3)));
  if (best && best.distance <= allowed && best.distance < typed.length) return best.candidate;
  // A start of a command ("stat", "hist") means that command.
  return typed.length >= 3 ? candidates.find((c) => c.startsWith(typed)) : undefined;
}

/** Levenshtein distance, counting a swap of neighbours ("relaese") as one edit. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i += 1) {
    rows.push([i]);
    for (let j = 1; j <= b.length; j += 1) {
      if (i === 0) {
        rows[0]!.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      }
      rows[i]!.push(d);
    }
  }
  return rows[a.length]![b.length]!;
}

/**
 * A typed word as a reply may echo it: cut short, and only letters, digits and id punctuation, so
 * an echo can never mention anyone (`<!channel>`, `@all`) or break the platform's markup.
 */
function shown(word: string): string {
  const cut = [...word].slice(0, 32);
  const safe = cut.map((ch) => (/^[\p{L}\p{N}._:/+=-]$/u.test(ch) ? ch : "?")).join("");
  return cut.length < [...word].length ? `${safe}…` : safe;
}
