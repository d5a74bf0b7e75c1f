import { fetchSecretJson } from "../aws/secrets";
import { readEnv } from "../config/env";
import { QianfanConfigError } from "../qianfan/errors";
import * as z from "../validation";
import type { ChatSecrets } from "./types";

const Secret = z.string().check(z.minLength(1), z.maxLength(4096));
const MaybeSecret = z.optional(Secret);

/** The `chat` entry of the stage's secret: a platform without its entry is off. */
export const ChatSecretsSchema = z.strictObject({
  slack: z.optional(z.strictObject({ signingSecret: Secret, botToken: MaybeSecret })),
  feishu: z.optional(
    z.strictObject({
      verificationToken: Secret,
      encryptKey: MaybeSecret,
      appId: MaybeSecret,
      appSecret: MaybeSecret,
    }),
  ),
  dingtalk: z.optional(z.strictObject({ appKey: MaybeSecret, appSecret: Secret })),
  wecom: z.optional(
    z.strictObject({
      token: Secret,
      encodingAesKey: z.string().check(z.length(43)),
      corpId: Secret,
      corpSecret: MaybeSecret,
      agentId: MaybeSecret,
    }),
  ),
  /** Notification webhooks and bot secrets, by the names the config's `chat.*.notify` uses. */
  webhooks: z.optional(z.record(z.string().check(z.minLength(1), z.maxLength(100)), Secret)),
});

/**
 * Validates chat secrets from `source` (the stage's secret, or QFHK_CHAT_SECRETS locally). A
 * problem names the field and the source, never a value.
 */
export function parseChatSecrets(
  value: unknown,
  source: string,
): ChatSecrets & { webhooks?: Record<string, string> } {
  const parsed = ChatSecretsSchema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new QianfanConfigError(`${source}: chat.${issue.path.map(String).join(".")}: ${issue.message}`);
}

/** Chat secrets from a JSON text (QFHK_CHAT_SECRETS), or none. */
export function chatSecretsFromJson(text: string | undefined, source: string): ChatSecrets {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new QianfanConfigError(`${source}: is not JSON`);
  }
  return parseChatSecrets(value, source);
}

/** Chat secrets: QFHK_CHAT_SECRETS (local runs), else the `chat` entry of the stage's secret. */
export async function readChatSecrets(
  env: Record<string, string | undefined>,
): Promise<ChatSecrets & { webhooks?: Record<string, string> }> {
  const vars = readEnv(env);
  if (vars.QFHK_CHAT_SECRETS) return chatSecretsFromJson(vars.QFHK_CHAT_SECRETS, "QFHK_CHAT_SECRETS");
  if (!vars.QFHK_SECRET_ARN) {
    throw new QianfanConfigError("no chat secrets: set QFHK_SECRET_ARN (deployments) or QFHK_CHAT_SECRETS");
  }
  const secret = await fetchSecretJson(vars.QFHK_SECRET_ARN, undefined);
  return parseChatSecrets(secret.chat, `secret ${vars.QFHK_SECRET_ARN}`);
}
