import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../lib/cli/main";
import { capture } from "../support/cli";
import { type TempConfig, tempConfig } from "../support/temp-config";

let temp: TempConfig | undefined;
afterEach(async () => {
  await temp?.remove();
  temp = undefined;
});

/** `qfhk chat …` on the built-in emulator, with its state in a temporary file. */
async function chat(args: string[]) {
  temp ??= await tempConfig("chat", ["version: 1"]);
  const c = capture();
  const code = await main(
    ["chat", ...args, "--config", temp.config, "--state", join(temp.dir, "state.json"), "--json"],
    c.io,
    {},
  );
  return {
    code,
    exchange: JSON.parse(c.out.join("")) as {
      answer: { status: number };
      outcome?: string;
      replies: Array<{ body: unknown }>;
    },
  };
}

describe("qfhk chat", () => {
  it("sends a signed command to a local webhook and prints the answer and the platform's reply", async () => {
    const { code, exchange } = await chat(["dingtalk", "help"]);
    expect(code).toBe(0);
    expect(exchange.answer.status).toBe(200);
    expect(exchange.outcome).toBe("done");
    expect(JSON.stringify(exchange.replies)).toContain("qfhk commands");
  });

  it("asks for a confirmation, which a later call carries out with its code", async () => {
    const asked = await chat(["wecom", "release unit-p4x8c1ab"]);
    expect(asked.exchange.outcome).toBe("planned");
    const code = /confirm (\d{6})/.exec(JSON.stringify(asked.exchange.replies))![1]!;
    const confirmed = await chat(["wecom", `confirm ${code}`]);
    // A prepaid unit: the direct release goes through the same rules and is refused with the reason.
    expect(confirmed.exchange.outcome).toBe("refused");
    expect(JSON.stringify(confirmed.exchange.replies)).toContain(
      "unit-p4x8c1ab is not released: the unit now shows Prepaid",
    );
  });

  it("lets the demo viewer look but not act", async () => {
    const { exchange } = await chat(["slack", "snooze unit-3fj9v0ke 1h", "--user", "local-viewer"]);
    expect(exchange.outcome).toBe("refused");
  });

  it("with --offline and no `qfhk offline` running, says how to start it and sends nothing", async () => {
    temp ??= await tempConfig("chat", ["version: 1"]);
    const c = capture();
    const code = await main(["chat", "slack", "status", "--offline", "--config", temp.config], c.io, {});
    expect(code).toBe(2);
    expect(c.err.join("")).toContain("no session of `qfhk offline` found; start it first");
  });

  it("sends to a --url only on this machine", async () => {
    temp ??= await tempConfig("chat", ["version: 1"]);
    const c = capture();
    const env = {
      QFHK_CHAT_SECRETS: '{"slack":{"signingSecret":"s"}}',
      QFHK_CHAT_REPLIES_URL: "http://127.0.0.1:9",
    };
    const args = ["chat", "slack", "status", "--url", "http://example.com/chatops", "--config", temp.config];
    expect(await main(args, c.io, env)).toBe(2);
    expect(c.err.join("")).toContain("--url: must be a webhook on this machine");
  });

  it("refuses an unknown platform with the usage", async () => {
    const c = capture();
    expect(await main(["chat", "teams", "help"], c.io, {})).toBe(2);
    expect(c.err.join("")).toContain("usage: qfhk chat <slack|feishu|dingtalk|wecom>");
  });
});
