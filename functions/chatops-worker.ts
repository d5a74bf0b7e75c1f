import { makeChatWorkerHandler } from "../lib/app/chat-worker-lambda";

/** Runs one verified chat command (invoked asynchronously by the webhook) and replies to the room. */
export const handler = makeChatWorkerHandler();
