import { describe, expect, it } from "vitest";
import { platformOf, rawRequestOf } from "../../lib/app/chat-lambda";
import { localChatSecrets } from "../../lib/chat/local-session";
import { slackCommandRequest } from "../../lib/chat/platforms";
import { handleChatWebhook } from "../../lib/chat/webhook";
import { MemoryStateStore } from "../../lib/state";

const NOW_MS = Date.parse("2026-11-23T02:00:00Z");

describe("the chat webhook behind API Gateway", () => {
  it("verifies a body API Gateway handed over base64-encoded, with its headers in any case", async () => {
    const secrets = localChatSecrets();
    const request = slackCommandRequest("status", {
      signingSecret: secrets.slack!.signingSecret,
      timestampS: NOW_MS / 1000,
      responseUrl: "https://hooks.slack.com/commands/x",
    });
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name.toUpperCase(), value]),
    );
    const event = {
      rawPath: "/chatops/slack",
      requestContext: { http: { method: "POST" } },
      headers,
      body: request.body.toString("base64"),
      isBase64Encoded: true,
    };
    const raw = rawRequestOf(event);
    expect(raw.body.equals(request.body)).toBe(true);
    expect(platformOf(event)).toBe("slack");
    const handed: unknown[] = [];
    const answer = await handleChatWebhook(platformOf(event), raw, {
      secrets: async () => secrets,
      store: new MemoryStateStore({ clock: () => NOW_MS }),
      dispatch: async (job) => {
        handed.push(job);
      },
      now: () => new Date(NOW_MS),
      maxBodyBytes: 64 * 1024,
      dedupTtlMs: 86_400_000,
    });
    expect(answer.status).toBe(200);
    expect(handed).toHaveLength(1);
    // The same bytes read as text (not decoded) are not what was signed.
    const undecoded = rawRequestOf({ ...event, isBase64Encoded: false });
    expect(undecoded.body.equals(request.body)).toBe(false);
  });

  it("refuses a body over the limit with 413 before reading it, and an unknown platform with 404", async () => {
    const deps = {
      secrets: async () => localChatSecrets(),
      store: new MemoryStateStore(),
      dispatch: async () => {},
      now: () => new Date(NOW_MS),
      maxBodyBytes: 1024,
      dedupTtlMs: 1000,
    };
    const big = { method: "POST", path: "/chatops/slack", headers: {}, query: {}, body: Buffer.alloc(1025) };
    expect((await handleChatWebhook("slack", big, deps)).status).toBe(413);
    expect((await handleChatWebhook("teams", { ...big, body: Buffer.alloc(1) }, deps)).status).toBe(404);
  });
});
