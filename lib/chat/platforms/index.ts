import type { ChatPlatform, ChatSecrets, RawHttpRequest, VerifyResult } from "../types";
import { refuse } from "./common";
import { verifyDingTalkRequest } from "./dingtalk";
import { verifyFeishuRequest } from "./feishu";
import { verifySlackRequest } from "./slack";
import { verifyWeComRequest } from "./wecom";

export { ChatCryptoError, headerOf, rawBodyOf } from "./common";
export * from "./dingtalk";
export * from "./feishu";
export * from "./slack";
export * from "./wecom";

/**
 * Verifies one request with the named platform's rules and secrets. A platform without secrets is
 * off: every request to it is refused.
 */
export function verifyChatRequest(
  platform: ChatPlatform,
  request: RawHttpRequest,
  secrets: ChatSecrets,
  nowMs: number,
  options: { dingtalkSessionBase?: string } = {},
): VerifyResult {
  switch (platform) {
    case "slack":
      return secrets.slack ? verifySlackRequest(request, secrets.slack, nowMs) : off(platform);
    case "feishu":
      return secrets.feishu ? verifyFeishuRequest(request, secrets.feishu, nowMs) : off(platform);
    case "dingtalk":
      return secrets.dingtalk
        ? verifyDingTalkRequest(request, secrets.dingtalk, nowMs, {
            sessionWebhookBase: options.dingtalkSessionBase,
          })
        : off(platform);
    case "wecom":
      return secrets.wecom ? verifyWeComRequest(request, secrets.wecom, nowMs) : off(platform);
  }
}

function off(platform: ChatPlatform): VerifyResult {
  return refuse(401, `${platform}: not configured`);
}
