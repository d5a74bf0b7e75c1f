import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { authorize, type ChatConfig, roleOf } from "../../lib/chat/access";
import { type ChatCommand, isChange, parseCommand } from "../../lib/chat/commands";
import type { ChatSender } from "../../lib/chat/types";
import { ConfigError, HousekeepingConfigSchema, parseConfig } from "../../lib/config";

function chatConfig(chat: unknown): ChatConfig {
  const config = HousekeepingConfigSchema.parse({ version: 1, chat });
  if (!config.chat) throw new Error("expected a chat section");
  return config.chat;
}

const chat = chatConfig({
  slack: { operators: ["U-OPS"], viewers: ["U-VIEW", "U-BOTH"], rooms: ["C-OPS"] },
  feishu: { operators: ["ou_ops", "ou_both"], viewers: ["ou_view", "ou_both"] },
});

const sender = (platform: ChatSender["platform"], userId: string, roomId?: string): ChatSender => ({
  platform,
  userId,
  ...(roomId !== undefined ? { roomId } : {}),
});

function command(text: string): ChatCommand {
  const parsed = parseCommand(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.command;
}

/** One command of each kind. */
const EVERY_COMMAND = [
  "help",
  "status",
  "plan",
  "history",
  "snoozes",
  "run all",
  "run all --apply",
  "release unit-1",
  "scale svco-a unit-b 2",
  "up svco-a",
  "stop task-1",
  "tpm buy ernie-speed-8k 1",
  "tpm release tpm-1",
  "snooze unit-1 1h",
  "unsnooze unit-1",
  "confirm 123456",
].map(command);

describe("roleOf", () => {
  const cases: Array<[string, ChatSender, "operator" | "viewer" | undefined]> = [
    ["an operator in the allowed room", sender("slack", "U-OPS", "C-OPS"), "operator"],
    ["a viewer in the allowed room", sender("slack", "U-VIEW", "C-OPS"), "viewer"],
    ["an operator in another room", sender("slack", "U-OPS", "C-RANDOM"), undefined],
    ["an operator in a direct message when rooms are set", sender("slack", "U-OPS"), undefined],
    ["someone not listed", sender("slack", "U-STRANGER", "C-OPS"), undefined],
    ["an id listed on another platform", sender("dingtalk", "U-OPS", "C-OPS"), undefined],
    ["a Feishu operator in any room (no rooms set)", sender("feishu", "ou_ops", "oc_any"), "operator"],
    ["a Feishu operator in a direct message", sender("feishu", "ou_ops"), "operator"],
    ["a Feishu viewer", sender("feishu", "ou_view", "oc_any"), "viewer"],
    ["an id listed as both operator and viewer", sender("feishu", "ou_both"), "operator"],
    ["an id that differs only in case", sender("feishu", "OU_OPS"), undefined],
  ];

  it.each(cases)("gives %s the role %s", (_what, who, role) => {
    expect(roleOf(chat, who)).toBe(role);
  });

  it("gives nobody a role when chat is off", () => {
    expect(roleOf(undefined, sender("slack", "U-OPS", "C-OPS"))).toBeUndefined();
  });
});

describe("authorize", () => {
  it("lets an operator send every command", () => {
    for (const cmd of EVERY_COMMAND) expect(authorize(cmd, "operator")).toEqual({ ok: true });
  });

  it("lets a viewer only look: help, status, plan, history, snoozes", () => {
    const allowed = EVERY_COMMAND.filter((cmd) => authorize(cmd, "viewer").ok).map((cmd) => cmd.verb);
    expect(allowed).toEqual(["help", "status", "plan", "history", "snoozes"]);
  });

  it("never lets a viewer change anything", () => {
    for (const cmd of EVERY_COMMAND.filter(isChange)) {
      const answer = authorize(cmd, "viewer");
      expect(answer.ok).toBe(false);
      if (!answer.ok) expect(answer.message).toContain("needs the operator role");
    }
  });

  it("refuses a viewer even a dry run", () => {
    expect(authorize(command("run all"), "viewer")).toMatchObject({
      ok: false,
      message: "'run' needs the operator role; viewers may use help, status, plan, history and snoozes",
    });
  });

  it("lets an unknown user do nothing, not even help, without saying who may", () => {
    for (const cmd of EVERY_COMMAND) {
      const answer = authorize(cmd, undefined);
      expect(answer.ok).toBe(false);
      if (!answer.ok) {
        expect(answer.message).toBe("You may not use qfhk commands here.");
        expect(answer.message).not.toMatch(/U-OPS|ou_ops/);
      }
    }
  });

  it("refuses a stranger end to end: no role, so no command", () => {
    const role = roleOf(chat, sender("slack", "U-STRANGER", "C-OPS"));
    expect(authorize(command("status"), role).ok).toBe(false);
  });
});

describe("the chat section of the config", () => {
  it("is optional: without it chat is off", () => {
    expect(HousekeepingConfigSchema.parse({ version: 1 }).chat).toBeUndefined();
  });

  it("fills in the defaults", () => {
    const section = chatConfig({
      wecom: { operators: ["zhangsan"], notify: { webhookSecretKey: "wecomHook" } },
    });
    expect(section).toMatchObject({
      confirmationTtl: 5 * 60_000,
      dedupTtl: 24 * 3_600_000,
      maxBodyBytes: 64 * 1024,
      wecom: {
        operators: ["zhangsan"],
        viewers: [],
        notify: { webhookSecretKey: "wecomHook", runSummaries: true, notices: true },
      },
    });
    expect(section.publicUrl).toBeUndefined();
  });

  const problems = (yaml: string): string[] => {
    try {
      parseConfig(yaml, "housekeeping.yml");
    } catch (error) {
      if (error instanceof ConfigError) return error.problems;
      throw error;
    }
    return [];
  };

  it("refuses a webhook URL written into the config: it names a key of the stage secret", () => {
    const found = problems(
      "version: 1\nchat:\n  slack:\n    notify:\n      webhookUrl: https://hooks.slack.com/x\n",
    );
    expect(found.join("\n")).toContain("chat.slack.notify");
    expect(found.join("\n")).not.toContain("hooks.slack.com");
  });

  it("refuses a confirmation that would last over an hour", () => {
    expect(problems("version: 1\nchat:\n  confirmationTtl: 2h\n").join("\n")).toContain(
      "a confirmation lasts at most 1h",
    );
  });

  it("refuses a public URL that is not https or carries a password", () => {
    expect(problems("version: 1\nchat:\n  publicUrl: http://example.com\n").join("\n")).toContain(
      "https URL",
    );
    expect(problems("version: 1\nchat:\n  publicUrl: https://u:p@example.com\n").join("\n")).toContain(
      "without a user name or password",
    );
  });

  it("refuses an empty room list, which would lock everyone out by accident", () => {
    expect(problems("version: 1\nchat:\n  feishu:\n    rooms: []\n").join("\n")).toContain(
      "chat.feishu.rooms",
    );
  });

  it("loads the example's commented chat section once uncommented", async () => {
    const example = await readFile("housekeeping.example.yml", "utf8");
    const lines = example.split("\n");
    const start = lines.indexOf("# chat:");
    expect(start).toBeGreaterThan(0);
    const section = lines
      .slice(start)
      .filter((line) => line.startsWith("#"))
      .map((line) => line.replace(/^# ?/, ""))
      .filter((line) => !/^\s*#/.test(line))
      .join("\n");
    const config = parseConfig(`version: 1\n${section}\n`, "example-chat.yml");
    expect(config.chat?.slack?.notify?.webhookSecretKey).toBe("slackWebhook");
    expect(roleOf(config.chat, sender("slack", "U012ABCDEF", "C056MNOPQR"))).toBe("operator");
    expect(roleOf(config.chat, sender("wecom", "zhangsan"))).toBe("operator");
  });
});
