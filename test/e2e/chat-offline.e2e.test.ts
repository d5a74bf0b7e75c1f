import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_CREDENTIALS, type RunningEmulator } from "../../lib/emulator";
import { emulatorWith, postpaidUnit } from "../support/emulator";
import { freePorts, type RunningOffline, startQfhkOffline } from "../support/offline";
import { type TempConfig, tempConfig } from "../support/temp-config";

const exec = promisify(execFile);
const OPERATOR = ["--user", "op-1", "--room", "room-ops"];

let emulator: RunningEmulator | undefined;
let temp: TempConfig | undefined;
let offline: RunningOffline | undefined;
let env: Record<string, string | undefined> = {};

beforeAll(async () => {
  emulator = await emulatorWith({ computeUnits: [postpaidUnit("unit-idle")] });
  temp = await tempConfig("chat-offline", [
    "version: 1",
    "dryRun: false",
    "chat:",
    ...["slack", "feishu"].map(
      (p) => `  ${p}: { operators: [op-1], viewers: [viewer-1], rooms: [room-ops] }`,
    ),
  ]);
  env = { ...process.env, QIANFAN_CONSOLE_API_BASE_URL: emulator.url };
  env.QIANFAN_ACCESS_KEY = DEMO_CREDENTIALS.accessKeyId;
  env.QIANFAN_SECRET_KEY = DEMO_CREDENTIALS.secretAccessKey;
  for (const name of ["QFHK_CONFIG", "QFHK_STATE_PATH", "QFHK_CHAT_SECRETS", "QFHK_CHAT_REPLIES_URL"])
    delete env[name];
  const [http, lambda, replies] = await freePorts(3);
  offline = await startQfhkOffline(
    [
      "--config",
      temp.config,
      "--http-port",
      `${http}`,
      "--lambda-port",
      `${lambda}`,
      "--replies-port",
      `${replies}`,
    ],
    env,
  );
});

afterAll(async () => {
  await offline?.stop();
  await emulator?.close();
  await temp?.remove();
});

/** `qfhk chat <platform> "<text>" --offline` in its own process, its JSON exchange. */
async function chat(platform: string, text: string, more: string[] = []) {
  const args = [
    "bin/qfhk.mjs",
    "chat",
    platform,
    text,
    ...OPERATOR,
    ...more,
    "--offline",
    "--json",
    "--wait",
    "90",
  ];
  const { stdout } = await exec(process.execPath, [...args, "--config", temp!.config], {
    env,
    timeout: 150_000,
  });
  const exchange = JSON.parse(stdout) as {
    answer: { status: number };
    replies: Array<{ route: string; body: unknown }>;
  };
  return { ...exchange, text: JSON.stringify(exchange.replies) };
}

const unitStatus = (id: string) => emulator!.state.units.find((u) => u.instanceId === id)?.status;

describe("chat-ops under serverless offline (qfhk offline + qfhk chat --offline)", () => {
  it("answers a signed status at once and the worker's reply arrives through the platform's route", async () => {
    const status = await chat("slack", "status");
    expect(status.answer.status).toBe(200);
    expect(status.replies.map((r) => r.route)).toEqual(["slack.response"]);
    expect(status.text).toContain("release-units");
  });

  it("answers a Slack @mention in its thread with chat.postMessage and the bot token", async () => {
    const mention = await chat("slack", "snoozes", ["--mention"]);
    expect(mention.replies).toMatchObject([{ route: "slack.postMessage", body: { channel: "room-ops" } }]);
    expect(mention.text).toContain('"ok":true');
  });

  it("releases a unit only after the confirmation, and a reused confirmation does nothing", async () => {
    const asked = await chat("feishu", "release unit-idle");
    const code = /confirm (\d{6})\b/.exec(asked.text)?.[1];
    expect(code, asked.text.slice(0, 400)).toMatch(/^\d{6}$/);
    expect(unitStatus("unit-idle")).toBe("Running");

    const done = await chat("feishu", `confirm ${code}`);
    expect(done.text).toContain("released unit-idle");
    expect(unitStatus("unit-idle")).toBe("Releasing");

    const again = await chat("feishu", `confirm ${code}`);
    expect(again.text).toContain("already used");
    expect(emulator!.state.units.filter((u) => u.status === "Releasing")).toHaveLength(1);
  });
});
