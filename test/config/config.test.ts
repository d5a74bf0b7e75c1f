import { readFile } from "node:fs/promises";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_PROTECTIONS,
  ConfigError,
  effectiveProtections,
  findProtection,
  formatDuration,
  loadConfig,
  parseConfig,
  parseDuration,
} from "../../lib/config";
import { configJsonSchema } from "../../lib/config/write-schema";

const problemsOf = (text: string) => {
  try {
    parseConfig(text, "housekeeping.yml");
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
};

describe("parseDuration", () => {
  it.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["2w", 1_209_600_000],
    ["PT2H", 7_200_000],
    ["P1DT12H", 129_600_000],
  ])("reads %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["2 hours", "", "h", "1.5h", "-2h", "P", "2h1d"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [90_000, "1m30s"],
    [8_100_000, "2h15m"],
    [86_400_000, "1d"],
    [1_209_600_000 + 3_600_000 + 1000, "2w1h1s"],
    [1_499, "1s"],
  ])("writes %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("writes what parseDuration reads back exactly, for any whole number of seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 10 }), (seconds) => {
        expect(parseDuration(formatDuration(seconds * 1000))).toBe(seconds * 1000);
      }),
    );
  });

  it("refuses a span that is not a finite number", () => {
    expect(() => formatDuration(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe("parseConfig", () => {
  it("fills safe defaults from a minimal file", () => {
    const config = parseConfig("version: 1\n", "housekeeping.yml");
    expect(config.guards).toEqual({
      maxActionsPerRun: 10,
      maxFleetFraction: 0.5,
      allowEmptyListing: false,
      allowInvalidItems: false,
      actionConcurrency: 4,
    });
    expect(config.jobs["release-units"]).toMatchObject({
      enabled: true,
      minAge: 3_600_000,
      idleFor: 7_200_000,
      protect: [],
    });
    expect(config.dryRun).toBeUndefined();
    expect(config.timezone).toBe("Asia/Shanghai");
  });

  it("names the file, line and key path of a bad duration", () => {
    expect(problemsOf("version: 1\njobs:\n  release-units:\n    idleFor: 2 hours\n")).toEqual([
      'housekeeping.yml:4: jobs.release-units.idleFor: expected a duration like "2h", "30m" or "1h30m", got "2 hours"',
    ]);
  });

  it("rejects unknown keys with their path", () => {
    const problems = problemsOf("version: 1\nguards:\n  maxActionPerRun: 3\n");
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^housekeeping.yml:3: guards.maxActionPerRun: unknown key/);
  });

  it("names every unknown key of an object on its own line, with its path", () => {
    const problems = problemsOf("version: 1\njobs:\n  release-units:\n    idelFor: 2h\n    minAg: 1h\n");
    expect(problems).toEqual([
      "housekeeping.yml:4: jobs.release-units.idelFor: unknown key; check the spelling against housekeeping.schema.json",
      "housekeeping.yml:5: jobs.release-units.minAg: unknown key; check the spelling against housekeeping.schema.json",
    ]);
  });

  it("rejects an unknown job with its path", () => {
    expect(problemsOf("version: 1\njobs:\n  delete-everything: {}\n")).toEqual([
      "housekeeping.yml:3: jobs.delete-everything: unknown key; check the spelling against housekeeping.schema.json",
    ]);
  });

  it("asks for a duration string when a duration is given as a number", () => {
    expect(problemsOf("version: 1\njobs:\n  release-units:\n    idleFor: 7200\n")).toEqual([
      'housekeeping.yml:4: jobs.release-units.idleFor: expected a duration like "2h" or "30m", got 7200',
    ]);
  });

  it("reads every documented duration form into milliseconds", () => {
    const config = parseConfig(
      "version: 1\njobs:\n  release-units:\n    minAge: 90s\n    idleFor: PT2H\n    maxAge: 2w\n    notice: { noticeFor: 1h30m }\n",
      "housekeeping.yml",
    );
    expect(config.jobs["release-units"]).toMatchObject({
      minAge: 90_000,
      idleFor: 7_200_000,
      maxAge: 1_209_600_000,
      notice: { enabled: false, noticeFor: 5_400_000 },
    });
  });

  it("says a required key is missing, with its path", () => {
    expect(problemsOf("timezone: UTC\n")).toEqual([
      "housekeeping.yml:1: version: required key is missing (expected 1)",
    ]);
    expect(
      problemsOf(
        "version: 1\njobs:\n  scale-services:\n    services:\n      - { serviceId: s, uptime: always }\n",
      ),
    ).toEqual([
      "housekeeping.yml:5: jobs.scale-services.services.0.instanceId: required key is missing (expected string)",
    ]);
  });

  it("refuses a file that is not a mapping", () => {
    expect(problemsOf("- version: 1\n")).toEqual([
      "housekeeping.yml:1: (top level): Invalid input: expected object, received array",
    ]);
  });

  it("lists every problem, not only the first", () => {
    const problems = problemsOf("version: 2\ntimezone: Mars/Olympus\nguards:\n  maxFleetFraction: 2\n");
    expect(problems.map((p) => p.split(": ")[1])).toEqual(["version", "timezone", "guards.maxFleetFraction"]);
  });

  it("gives line and column of a YAML syntax error", () => {
    const problems = problemsOf("version: 1\nguards: [\n");
    expect(problems[0]).toMatch(/^housekeeping.yml:\d+:\d+: YAML: /);
  });

  it("needs a table for the DynamoDB store", () => {
    expect(problemsOf("version: 1\nstate:\n  kind: dynamodb\n")[0]).toContain("state.table");
  });

  it("refuses an empty protection rule", () => {
    expect(problemsOf("version: 1\njobs:\n  release-units:\n    protect:\n      - {}\n")[0]).toContain(
      "jobs.release-units.protect.0",
    );
  });

  it("loads the shipped example", async () => {
    const { config, statePath } = await loadConfig("housekeeping.example.yml");
    expect(config.jobs["release-units"].maxAge).toBe(30 * 86_400_000);
    expect(statePath).toMatch(/\.qfhk\/state\.json$/);
  });

  it("says which file it cannot read", async () => {
    await expect(loadConfig("no-such.yml")).rejects.toThrow(
      "no-such.yml: cannot read the config file (ENOENT)",
    );
  });
});

describe("protections", () => {
  const unit = { instanceId: "unit-prod-1", creator: "alice@example.com", region: "bj", type: "gpu-1" };

  it("matches globs on ids and creators, and exact regions and types", () => {
    expect(findProtection([{ instanceId: "unit-prod-*" }], unit)).toBe("rule instanceId 'unit-prod-*'");
    expect(findProtection([{ creator: "alice@*", region: "bj" }], unit)).toBe(
      "rule creator 'alice@*', region 'bj'",
    );
    expect(findProtection([{ creator: "alice@*", region: "bd" }], unit)).toBeUndefined();
    expect(findProtection([{ type: "gpu-2" }], unit)).toBeUndefined();
  });

  it("keeps every built-in protection first, whatever rules the user lists", () => {
    const rule = fc.record(
      {
        instanceId: fc.string({ minLength: 1 }),
        creator: fc.string({ minLength: 1 }),
        type: fc.string({ minLength: 1 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.array(rule), (userRules) => {
        const rules = effectiveProtections(userRules);
        expect(rules.slice(0, BUILTIN_PROTECTIONS.length)).toEqual(BUILTIN_PROTECTIONS);
        expect(rules.slice(BUILTIN_PROTECTIONS.length)).toEqual(userRules);
      }),
    );
  });

  it("keeps the built-in protections whatever the user lists", () => {
    const rules = effectiveProtections([{ creator: "bob" }]);
    expect(rules.slice(0, BUILTIN_PROTECTIONS.length)).toEqual(BUILTIN_PROTECTIONS);
    expect(findProtection(rules, { instanceId: "unit-1", creator: "system-qianfan" })).toContain("built-in");
  });
});

describe("housekeeping.schema.json", () => {
  it("is the schema generated from the code", async () => {
    const committed = JSON.parse(await readFile("housekeeping.schema.json", "utf8"));
    expect(committed).toEqual(JSON.parse(configJsonSchema()));
  });
});

describe("schedules in the config", () => {
  it("refuses a bad schedule at load, with the key path and the position", () => {
    const problems = problemsOf(
      'version: 1\njobs:\n  scale-services:\n    services:\n      - { serviceId: s, instanceId: u, uptime: "Mon-Fry 08:00-20:00" }\n',
    );
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(
      'jobs.scale-services.services.0.uptime: schedule "Mon-Fry 08:00-20:00" at position 5: expected a weekday',
    );
  });

  it("needs exactly one of uptime and downtime, and of serviceId and name", () => {
    const problems = problemsOf(
      'version: 1\njobs:\n  scale-services:\n    services:\n      - { serviceId: s, name: "x*", instanceId: u, uptime: always, downtime: never }\n',
    );
    expect(problems.join("\n")).toContain("give exactly one of serviceId, name");
    expect(problems.join("\n")).toContain("give exactly one of uptime, downtime");
  });

  it("refuses duplicate TPM window names", () => {
    const problems = problemsOf(
      "version: 1\njobs:\n  tpm-windows:\n    windows:\n      - { name: a, model: ernie-3.5-8k, count: 1, schedule: always }\n      - { name: a, model: ernie-3.5-8k, count: 1, schedule: never }\n",
    );
    expect(problems[0]).toContain("jobs.tpm-windows.windows.1.name: duplicate window name a");
  });
});
