import { localChatSecrets } from "../lib/chat/local-session";
import { feishuMessageEvent, slackCommandRequest, weComTextMessage } from "../lib/chat/platforms";
import type { ChatPlatform, RawHttpRequest } from "../lib/chat/types";
import { handleChatWebhook } from "../lib/chat/webhook";
import { MemoryStateStore } from "../lib/state";

/**
 * The chat webhook's own latency, in-process: verification (and decryption), de-duplication in the
 * state store and the hand-over, per request — what the platforms' 1–3 s deadlines are spent on
 * before the network. Each request is a fresh event, so every one is verified and stored.
 */
export async function benchChatAck(
  requests = 2000,
): Promise<Array<{ platform: ChatPlatform; p50: number; p99: number }>> {
  const secrets = localChatSecrets();
  const results = [];
  for (const platform of ["slack", "feishu", "wecom"] as const) {
    const nowMs = Date.now();
    const timestampS = Math.floor(nowMs / 1000);
    const build = (i: number): RawHttpRequest => {
      switch (platform) {
        case "slack":
          return slackCommandRequest("status", {
            signingSecret: secrets.slack!.signingSecret,
            timestampS,
            triggerId: `t-${i}`,
            responseUrl: "https://hooks.slack.com/commands/x",
          });
        case "feishu":
          return feishuMessageEvent("status", {
            verificationToken: secrets.feishu!.verificationToken,
            encryptKey: secrets.feishu!.encryptKey,
            timestampS,
            eventId: `ev-${i}`,
          });
        case "wecom":
          return weComTextMessage("status", {
            token: secrets.wecom!.token,
            encodingAesKey: secrets.wecom!.encodingAesKey,
            corpId: secrets.wecom!.corpId,
            agentId: secrets.wecom!.agentId,
            timestampS,
            msgId: String(1_000_000 + i),
          });
      }
    };
    let dispatched = 0;
    const batch = Array.from({ length: requests }, (_, i) => build(i));
    const deps = {
      secrets: async () => secrets,
      store: new MemoryStateStore(),
      dispatch: async () => {
        dispatched += 1;
      },
      now: () => new Date(nowMs),
      maxBodyBytes: 64 * 1024,
      dedupTtlMs: 86_400_000,
    };
    const times: number[] = [];
    for (const request of batch) {
      const start = performance.now();
      const answer = await handleChatWebhook(platform, request, deps);
      times.push(performance.now() - start);
      if (answer.status !== 200) throw new Error(`${platform}: answered ${answer.status}`);
    }
    // Every request must have been a command handed over, not dropped as something to ignore.
    if (dispatched !== requests) throw new Error(`${platform}: ${dispatched} of ${requests} handed over`);
    times.sort((a, b) => a - b);
    results.push({
      platform,
      p50: times[Math.floor(times.length / 2)]!,
      p99: times[Math.floor(times.length * 0.99)]!,
    });
  }
  return results;
}
