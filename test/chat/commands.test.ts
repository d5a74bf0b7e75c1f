import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ChatCommand,
  commandText,
  DEFAULT_HISTORY,
  DEFAULT_UP_MS,
  editDistance,
  HELP_TEXT,
  isChange,
  MAX_HISTORY,
  MAX_REPLICAS,
  MAX_SNOOZE_MS,
  MAX_TPM_COUNT,
  MAX_UP_MS,
  needsConfirmation,
  parseCommand,
  usage,
} from "../../lib/chat/commands";
import { checkResourceId } from "../../lib/state";

const H = 3_600_000;
const D = 24 * H;

function parsed(text: string): ChatCommand {
  const result = parseCommand(text);
  if (!result.ok) throw new Error(`expected a command from ${JSON.stringify(text)}, got: ${result.message}`);
  return result.command;
}

function refusal(text: string): string {
  const result = parseCommand(text);
  if (result.ok)
    throw new Error(`expected ${JSON.stringify(text)} refused, got ${JSON.stringify(result.command)}`);
  return result.message;
}

describe("parseCommand: every command", () => {
  const cases: Array<[string, ChatCommand]> = [
    ["help", { verb: "help" }],
    ["help release", { verb: "help", topic: "release" }],
    ["help tpm", { verb: "help", topic: "tpm" }],
    ["status", { verb: "status" }],
    ["plan", { verb: "plan", job: "all" }],
    ["plan all", { verb: "plan", job: "all" }],
    ["plan release-units", { verb: "plan", job: "release-units" }],
    ["plan scale-services", { verb: "plan", job: "scale-services" }],
    ["run tpm-windows", { verb: "run", job: "tpm-windows", apply: false }],
    ["run stop-batch-tasks --apply", { verb: "run", job: "stop-batch-tasks", apply: true }],
    ["run --apply all", { verb: "run", job: "all", apply: true }],
    ["release unit-z8c4g6mu", { verb: "release", unitId: "unit-z8c4g6mu" }],
    [
      "scale svco-summarize unit-z8c4g6mu 0",
      { verb: "scale", serviceId: "svco-summarize", unitId: "unit-z8c4g6mu", replicas: 0 },
    ],
    ["scale svco-a unit-b 3", { verb: "scale", serviceId: "svco-a", unitId: "unit-b", replicas: 3 }],
    ["up svco-a", { verb: "up", serviceId: "svco-a", forMs: DEFAULT_UP_MS }],
    ["up svco-a 4h", { verb: "up", serviceId: "svco-a", forMs: 4 * H }],
    ["up svco-a for 1h30m", { verb: "up", serviceId: "svco-a", forMs: 1.5 * H }],
    ["up svco-a for PT3H", { verb: "up", serviceId: "svco-a", forMs: 3 * H }],
    ["stop task-123", { verb: "stop", taskId: "task-123" }],
    ["tpm buy ernie-speed-8k 2", { verb: "tpm-buy", model: "ernie-speed-8k", count: 2 }],
    [
      "tpm buy ernie-speed-8k 2 --until 2026-11-23T18:00+08:00",
      { verb: "tpm-buy", model: "ernie-speed-8k", count: 2, until: "2026-11-23T10:00:00.000Z" },
    ],
    [
      "tpm buy ernie-lite-8k 1 --until=2026-11-23T06:00Z",
      { verb: "tpm-buy", model: "ernie-lite-8k", count: 1, until: "2026-11-23T06:00:00.000Z" },
    ],
    ["tpm release tpm-abc123", { verb: "tpm-release", instanceId: "tpm-abc123" }],
    ["snooze unit-1 2d", { verb: "snooze", id: "unit-1", durationMs: 2 * D }],
    ["snooze svco-a/unit-b for 3h", { verb: "snooze", id: "svco-a/unit-b", durationMs: 3 * H }],
    ["unsnooze unit-1", { verb: "unsnooze", id: "unit-1" }],
    ["snoozes", { verb: "snoozes" }],
    ["history", { verb: "history", limit: DEFAULT_HISTORY }],
    ["history 25", { verb: "history", limit: 25 }],
    ["confirm 042917", { verb: "confirm", code: "042917" }],
    ["confirm AbCdEfGhIjKlMnOpQrSt_-", { verb: "confirm", code: "AbCdEfGhIjKlMnOpQrSt_-" }],
  ];

  it.each(cases)("reads %j", (text, command) => {
    expect(parsed(text)).toEqual(command);
  });

  it("reads empty text (a bare /qfhk) as help", () => {
    expect(parsed("")).toEqual({ verb: "help" });
    expect(parsed("   ")).toEqual({ verb: "help" });
    expect(parsed("/qfhk")).toEqual({ verb: "help" });
  });
});

describe("parseCommand: what phones and platforms add", () => {
  const cases: Array<[string, ChatCommand]> = [
    ["  release    unit-1  ", { verb: "release", unitId: "unit-1" }],
    ["/qfhk release unit-1", { verb: "release", unitId: "unit-1" }],
    ["qfhk status", { verb: "status" }],
    ["<@U012ABCDEF> release unit-1", { verb: "release", unitId: "unit-1" }],
    ["<@U012ABCDEF|qfhk> status", { verb: "status" }],
    ["@_user_1 status", { verb: "status" }],
    ["@qfhk-bot plan", { verb: "plan", job: "all" }],
    ['<at user_id="ou_123">qfhk</at> status', { verb: "status" }],
    ["RELEASE unit-1", { verb: "release", unitId: "unit-1" }],
    ["Release unit-1.", { verb: "release", unitId: "unit-1" }],
    ["status?", { verb: "status" }],
    ["status。", { verb: "status" }],
    ["release “unit-1”", { verb: "release", unitId: "unit-1" }],
    ["release ‘unit-1’", { verb: "release", unitId: "unit-1" }],
    ["release 「unit-1」", { verb: "release", unitId: "unit-1" }],
    ["run all —apply", { verb: "run", job: "all", apply: true }],
    ["run all –apply", { verb: "run", job: "all", apply: true }],
    ["run all -apply", { verb: "run", job: "all", apply: true }],
    ["run all --APPLY", { verb: "run", job: "all", apply: true }],
    ["run Release-Units", { verb: "run", job: "release-units", apply: false }],
    ["release unit–1", { verb: "release", unitId: "unit-1" }],
    ["ｓｔａｔｕｓ", { verb: "status" }],
    ["history　１２", { verb: "history", limit: 12 }],
    ["status\u200b", { verb: "status" }],
    ["TPM BUY ernie-speed-8k 2", { verb: "tpm-buy", model: "ernie-speed-8k", count: 2 }],
    ["up svco-a FOR 2H", { verb: "up", serviceId: "svco-a", forMs: 2 * H }],
    [
      "tpm buy ernie-speed-8k 2 —until 2026-11-23T18:00+08:00",
      { verb: "tpm-buy", model: "ernie-speed-8k", count: 2, until: "2026-11-23T10:00:00.000Z" },
    ],
  ];

  it.each(cases)("reads %j", (text, command) => {
    expect(parsed(text)).toEqual(command);
  });

  it("keeps the case of ids and models as typed", () => {
    expect(parsed("release Unit-ABC")).toEqual({ verb: "release", unitId: "Unit-ABC" });
    expect(parsed("tpm buy ERNIE-speed-8k 1")).toMatchObject({ model: "ERNIE-speed-8k" });
  });
});

describe("parseCommand: malformed commands", () => {
  const cases: Array<[string, string]> = [
    ["release", "missing <unit>\nusage: release <unit>"],
    ["release unit-1 unit-2", "too many words ('unit-2')\nusage: release <unit>"],
    ["release -unit", "unknown option '-unit'"],
    ["release __proto__", "is no resource id"],
    ["release unit<1>", "is no resource id"],
    [`release ${"a".repeat(201)}`, "an id is at most 200 characters"],
    ["scale svco-a unit-b", "missing <replicas>\nusage: scale <service> <unit> <replicas>"],
    ["scale svco-a", "missing <unit> <replicas>"],
    ["scale svco-a unit-b many", "replicas must be a whole number from 0 to 100, got 'many'"],
    ["scale svco-a unit-b -1", "replicas must be a whole number from 0 to 100"],
    [`scale svco-a unit-b ${MAX_REPLICAS + 1}`, "replicas must be a whole number from 0 to 100"],
    ["scale svco-a unit-b 2.5", "replicas must be a whole number"],
    ["up", "missing <service>\nusage: up <service> [for <duration>]"],
    ["up svco-a for", "missing the <duration> after 'for'"],
    ["up svco-a soon", "'soon' is no duration"],
    ["up svco-a 0m", "the duration must be longer than zero"],
    ["up svco-a 8d", "the duration must be at most 7d"],
    ["up svco-a 4h 5h", "too many words ('5h')"],
    ["stop", "missing <task>"],
    [
      "tpm",
      "'tpm' needs buy or release\nusage: tpm buy <model> <count> [--until <time>]\ntpm release <instance>",
    ],
    ["tpm buy", "missing <model> <count>"],
    ["tpm buy ernie-speed-8k", "missing <count>"],
    ["tpm buy ernie-speed-8k 0", "count must be a whole number from 1 to 100"],
    [`tpm buy ernie-speed-8k ${MAX_TPM_COUNT + 1}`, "count must be a whole number from 1 to 100"],
    ["tpm buy ernie/speed 1", "is no model id"],
    ["tpm buy ernie-speed-8k 1 --until", "--until needs a value"],
    ["tpm buy ernie-speed-8k 1 --until tomorrow", "'tomorrow' is no time"],
    ["tpm buy ernie-speed-8k 1 --until 2026-11-23T18:00", "is no time; write it with its zone"],
    ["tpm buy ernie-speed-8k 1 --until 2026-02-30T18:00Z", "is no time"],
    [
      "tpm buy ernie-speed-8k 1 --until 2026-11-23T18:00Z --until 2026-11-24T18:00Z",
      "--until is given twice",
    ],
    ["tpm release", "missing <instance>"],
    ["snooze unit-1", "missing <duration>"],
    ["snooze unit-1 forever", "'forever' is no duration"],
    ["snooze unit-1 for", "missing the <duration> after 'for'"],
    ["snooze unit-1 31d", "the duration must be at most 30d"],
    ["unsnooze", "missing <id>"],
    ["snoozes unit-1", "too many words"],
    ["status now", "too many words ('now')\nusage: status"],
    ["history 0", "n must be a whole number from 1 to 50"],
    [`history ${MAX_HISTORY + 1}`, "n must be a whole number from 1 to 50"],
    ["plan everything", "unknown job 'everything'; jobs: scale-services, tpm-windows, release-units"],
    ["run", "missing <job>\nusage: run <job> [--apply]"],
    ["run all --force", "unknown option '--force'\nusage: run <job> [--apply]"],
    ["run all --apply=yes", "unknown option '--apply=yes'"],
    ["confirm", "missing <code>"],
    ["confirm 12345", "'12345' is no confirmation code"],
    ["confirm 1234567", "is no confirmation code"],
    ["help everything", "no command 'everything'\nusage: help [command]"],
    [`status ${"x".repeat(1000)}`, "a command is at most 1000 characters"],
  ];

  it.each(cases)("refuses %j", (text, message) => {
    expect(refusal(text)).toContain(message);
  });
});

describe("parseCommand: the closest command", () => {
  const cases: Array<[string, string]> = [
    ["relase unit-1", "unknown command 'relase'; did you mean: release <unit>"],
    ["relaese unit-1", "did you mean: release <unit>"],
    ["sop task-1", "did you mean: stop <task>"],
    ["scael a b 1", "did you mean: scale <service> <unit> <replicas>"],
    ["snoze unit-1 2h", "did you mean: snooze <id> <duration>"],
    ["unsnoze unit-1", "did you mean: unsnooze <id>"],
    ["histroy", "did you mean: history [n]"],
    ["stat", "did you mean: status"],
    ["plna", "did you mean: plan [job]"],
    ["rn all", "did you mean: run <job> [--apply]"],
    ["upp svco-a", "did you mean: up <service> [for <duration>]"],
    ["tmp buy x 1", "did you mean: tpm buy <model> <count> [--until <time>] or tpm release <instance>"],
    ["confrim 123456", "did you mean: confirm <code>"],
    ["hlep", "did you mean: help [command]"],
    ["tpm biy x 1", "unknown tpm command 'biy'; did you mean tpm buy?\nusage: tpm buy <model>"],
    ["tpm relase x", "did you mean tpm release?\nusage: tpm release <instance>"],
    ["plan relase-units", "unknown job 'relase-units'; did you mean release-units?"],
    ["run scale-service", "did you mean scale-services?"],
    ["help relase", "no command 'relase'; did you mean release?"],
  ];

  it.each(cases)("answers %j with the usage of the closest command", (text, message) => {
    expect(refusal(text)).toContain(message);
  });

  it("points to help when nothing is close", () => {
    expect(refusal("delete-everything now")).toBe(
      "unknown command 'delete-everything'; send 'help' for the commands",
    );
    expect(refusal("x")).toBe("unknown command 'x'; send 'help' for the commands");
  });

  it("never echoes mention markup or more than a short piece of what was typed", () => {
    expect(refusal("<!channel>x status")).not.toContain("<!");
    expect(refusal("release unit<@U1")).not.toContain("<@");
    expect(refusal(`${"z".repeat(300)} now`)).toContain(`'${"z".repeat(32)}…'`);
  });

  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("relaese", "release")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});

describe("commandText", () => {
  const cases: Array<[ChatCommand, string]> = [
    [{ verb: "help" }, "help"],
    [{ verb: "help", topic: "tpm" }, "help tpm"],
    [{ verb: "status" }, "status"],
    [{ verb: "plan", job: "all" }, "plan all"],
    [{ verb: "run", job: "release-units", apply: true }, "run release-units --apply"],
    [{ verb: "run", job: "all", apply: false }, "run all"],
    [{ verb: "release", unitId: "unit-1" }, "release unit-1"],
    [{ verb: "scale", serviceId: "svco-a", unitId: "unit-b", replicas: 0 }, "scale svco-a unit-b 0"],
    [{ verb: "up", serviceId: "svco-a", forMs: 2 * H }, "up svco-a for 2h"],
    [{ verb: "stop", taskId: "task-1" }, "stop task-1"],
    [
      { verb: "tpm-buy", model: "ernie-speed-8k", count: 2, until: "2026-11-23T10:00:00.000Z" },
      "tpm buy ernie-speed-8k 2 --until 2026-11-23T10:00:00.000Z",
    ],
    [{ verb: "tpm-buy", model: "ernie-speed-8k", count: 2 }, "tpm buy ernie-speed-8k 2"],
    [{ verb: "tpm-release", instanceId: "tpm-1" }, "tpm release tpm-1"],
    [{ verb: "snooze", id: "unit-1", durationMs: 36 * H }, "snooze unit-1 1d12h"],
    [{ verb: "unsnooze", id: "unit-1" }, "unsnooze unit-1"],
    [{ verb: "snoozes" }, "snoozes"],
    [{ verb: "history", limit: 10 }, "history 10"],
    [{ verb: "confirm", code: "000123" }, "confirm 000123"],
  ];

  it.each(cases)("renders %j canonically", (command, text) => {
    expect(commandText(command)).toBe(text);
  });

  it("renders what differently typed texts of one command have in common", () => {
    expect(commandText(parsed("/qfhk  Release  “unit-1”."))).toBe(commandText(parsed("release unit-1")));
    expect(commandText(parsed("up svco-a"))).toBe("up svco-a for 2h");
    expect(commandText(parsed("plan"))).toBe("plan all");
  });
});

describe("changes and confirmations", () => {
  const cases: Array<[string, boolean, boolean]> = [
    ["help", false, false],
    ["status", false, false],
    ["plan", false, false],
    ["history", false, false],
    ["snoozes", false, false],
    ["run all", false, false],
    ["run all --apply", true, true],
    ["release unit-1", true, true],
    ["stop task-1", true, true],
    ["scale svco-a unit-b 5", true, true],
    ["scale svco-a unit-b 0", true, true],
    ["tpm buy ernie-speed-8k 1", true, true],
    ["tpm release tpm-1", true, true],
    ["up svco-a", true, false],
    ["snooze unit-1 1h", true, false],
    ["unsnooze unit-1", true, false],
    ["confirm 123456", true, false],
  ];

  it.each(cases)("%j: change %s, needs confirmation %s", (text, change, confirmation) => {
    const command = parsed(text);
    expect(isChange(command)).toBe(change);
    expect(needsConfirmation(command)).toBe(confirmation);
  });
});

describe("usage and help", () => {
  it("gives the usage of one command, of both tpm commands, or of all", () => {
    expect(usage("release")).toBe("release <unit>");
    expect(usage("RELEASE")).toBe("release <unit>");
    expect(usage("tpm buy")).toBe("tpm buy <model> <count> [--until <time>]");
    expect(usage("tpm")).toBe("tpm buy <model> <count> [--until <time>]\ntpm release <instance>");
    expect(usage().split("\n")).toHaveLength(15);
    expect(usage("nonsense")).toBe(usage());
  });

  it("keeps the help short enough for a phone", () => {
    const lines = HELP_TEXT.split("\n");
    expect(lines.length).toBeLessThanOrEqual(14);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(72);
  });

  it("names every command in the help", () => {
    for (const verb of [
      "status",
      "plan",
      "run",
      "release",
      "scale",
      "up",
      "stop",
      "tpm buy",
      "tpm release",
    ]) {
      expect(HELP_TEXT).toContain(verb);
    }
    for (const verb of ["snooze", "unsnooze", "snoozes", "history", "confirm"])
      expect(HELP_TEXT).toContain(verb);
  });
});

/** Ids as a person types them: what checkResourceId takes, never ending in "." (a sentence's end). */
const resourceId = fc
  .stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,40}$/)
  .filter((id) => checkResourceId(id).ok && !id.endsWith("."));
const job = fc.constantFrom(
  "all" as const,
  "scale-services" as const,
  "tpm-windows" as const,
  "release-units" as const,
  "stop-batch-tasks" as const,
);
const seconds = (max: number) => fc.integer({ min: 1, max: max / 1000 }).map((s) => s * 1000);
const instant = fc
  .integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2200, 0, 1) })
  .map((ms) => new Date(ms).toISOString());

const command: fc.Arbitrary<ChatCommand> = fc.oneof(
  fc.constant<ChatCommand>({ verb: "help" }),
  fc
    .constantFrom(
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
    )
    .map((topic): ChatCommand => ({ verb: "help", topic })),
  fc.constant<ChatCommand>({ verb: "status" }),
  fc.constant<ChatCommand>({ verb: "snoozes" }),
  job.map((j): ChatCommand => ({ verb: "plan", job: j })),
  fc.record({ job, apply: fc.boolean() }).map((r): ChatCommand => ({ verb: "run", ...r })),
  resourceId.map((unitId): ChatCommand => ({ verb: "release", unitId })),
  fc
    .record({
      serviceId: resourceId,
      unitId: resourceId,
      replicas: fc.integer({ min: 0, max: MAX_REPLICAS }),
    })
    .map((r): ChatCommand => ({ verb: "scale", ...r })),
  fc
    .record({ serviceId: resourceId, forMs: seconds(MAX_UP_MS) })
    .map((r): ChatCommand => ({ verb: "up", ...r })),
  resourceId.map((taskId): ChatCommand => ({ verb: "stop", taskId })),
  fc
    .record(
      {
        model: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$/).filter((m) => !m.endsWith(".")),
        count: fc.integer({ min: 1, max: MAX_TPM_COUNT }),
        until: instant,
      },
      { requiredKeys: ["model", "count"] },
    )
    .map((r): ChatCommand => ({ verb: "tpm-buy", ...r })),
  resourceId.map((instanceId): ChatCommand => ({ verb: "tpm-release", instanceId })),
  fc
    .record({ id: resourceId, durationMs: seconds(MAX_SNOOZE_MS) })
    .map((r): ChatCommand => ({ verb: "snooze", ...r })),
  resourceId.map((id): ChatCommand => ({ verb: "unsnooze", id })),
  fc.integer({ min: 1, max: MAX_HISTORY }).map((limit): ChatCommand => ({ verb: "history", limit })),
  fc
    .oneof(fc.stringMatching(/^\d{6}$/), fc.stringMatching(/^[A-Za-z0-9_-]{22}$/))
    .map((code): ChatCommand => ({ verb: "confirm", code })),
);

describe("properties", () => {
  it("reads back every command from its canonical text", () => {
    fc.assert(
      fc.property(command, (cmd) => {
        expect(parseCommand(commandText(cmd))).toEqual({ ok: true, command: cmd });
      }),
      { numRuns: 2000 },
    );
  });

  it("reads a command the same with the verb in any case, extra spaces and a /qfhk in front", () => {
    fc.assert(
      fc.property(command, fc.boolean(), fc.integer({ min: 1, max: 4 }), (cmd, upper, spaces) => {
        const [verb, ...rest] = commandText(cmd).split(" ");
        const gap = " ".repeat(spaces);
        const text = `/qfhk${gap}${upper ? verb!.toUpperCase() : verb}${gap}${rest.join(gap)}${gap}`;
        expect(parseCommand(text)).toEqual({ ok: true, command: cmd });
      }),
    );
  });

  const answersSafely = (text: string) => {
    const result = parseCommand(text);
    if (result.ok) {
      expect(typeof result.command.verb).toBe("string");
    } else {
      expect(result.message.length).toBeGreaterThan(0);
      expect(result.message).not.toMatch(/<[!@#]|@(?:all|here|channel|everyone)/i);
    }
  };

  it("never throws, whatever the text (any code points)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 2000 }), answersSafely), { numRuns: 500 });
  });

  it("never throws on text made of grapheme clusters", () => {
    fc.assert(fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), answersSafely), { numRuns: 300 });
  });

  it("never throws on near-commands: a known word followed by anything", () => {
    const word = fc.constantFrom(
      "release",
      "tpm buy",
      "tpm",
      "run",
      "up",
      "snooze",
      "history",
      "confirm",
      "help",
    );
    const junk = fc.array(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 12 }),
        fc.constantFrom("--until", "—apply", "for", "@all", "<!here>", "__proto__", "-1", "99999999", "2h"),
      ),
      { maxLength: 6 },
    );
    fc.assert(
      fc.property(word, junk, (w, rest) => answersSafely([w, ...rest].join(" "))),
      { numRuns: 1000 },
    );
  });
});
