import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  BUILTIN_PROTECTIONS,
  ConfigError,
  effectiveProtections,
  findProtection,
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
