import { makeChatWebhookHandler } from "../lib/app/chat-lambda";

/** POST /chatops/{platform} (and GET for WeCom's URL check): verifies, de-duplicates, hands over, answers at once. */
export const handler = makeChatWebhookHandler();
