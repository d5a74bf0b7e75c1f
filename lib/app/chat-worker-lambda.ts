import { apiBaseUnder, checkRepliesUrl } from "../chat/outbound/replies-url";
import { sendReply, TokenCache } from "../chat/outbound/reply";
import { readChatSecrets } from "../chat/secrets";
import { CHAT_PLATFORMS, type ChatSecrets } from "../chat/types";
import type { ChatJob } from "../chat/webhook";
import { runChatJob, type WorkerDeps } from "../chat/worker";
import { processEnv, readEnv } from "../config/runtime";
import * as z from "../validation";
import { buildJobHandlerDeps } from "./job-deps";

const Id = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** The job the worker accepts: only what the webhook verified, checked again on arrival. */
export const ChatJobSchema = z.strictObject({
  platform: z.enum(CHAT_PLATFORMS),
  eventId: Id(300),
  sender: z.strictObject({
    platform: z.enum(CHAT_PLATFORMS),
    userId: Id(300),
    roomId: z.optional(Id(300)),
  }),
  request: z.discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("command"), text: z.string().check(z.maxLength(4000)) }),
    z.strictObject({ kind: z.literal("confirm"), confirmationId: Id(200) }),
  ]),
  replyTo: z.looseObject({ platform: z.enum(CHAT_PLATFORMS) }),
  receivedAt: z.string(),
});

/**
 * The chat worker's Lambda handler: validates the job again, builds the same dependencies as the
 * job functions (config, keys, store), runs the command and replies through the platform.
 * Asynchronous invokes arrive at least once; `runChatJob` runs each event id once.
 */
export function makeChatWorkerHandler(env: Record<string, string | undefined> = processEnv()) {
  let deps: Promise<WorkerDeps> | undefined;
  const build = async (): Promise<WorkerDeps> => {
    const base = await buildJobHandlerDeps(env);
    let secrets: Promise<ChatSecrets> | undefined;
    const tokens = new TokenCache();
    // Local runs (serverless offline): replies go to the stand-in of `qfhk chat --url`.
    const repliesUrl = readEnv(env).QFHK_CHAT_REPLIES_URL;
    const apiBase = repliesUrl ? apiBaseUnder(checkRepliesUrl(repliesUrl)) : undefined;
    return {
      config: base.loaded.config,
      api: base.api,
      store: base.store,
      clock: () => new Date(),
      stageDryRun: base.stageDryRun,
      target: base.target,
      reply: async (target, message) => {
        secrets ??= readChatSecrets(env);
        await sendReply(target, message, {
          fetch,
          secrets: await secrets,
          tokenCache: tokens,
          now: () => new Date(),
          ...(apiBase ? { apiBase } : {}),
        });
      },
    };
  };
  return async (event: unknown): Promise<{ outcome: string }> => {
    const job = ChatJobSchema.safeParse(event);
    if (!job.success) {
      // Not from our webhook: nothing runs, nothing is retried.
      console.log(JSON.stringify({ event: "chat.worker.refused", problem: job.error.issues[0]?.message }));
      return { outcome: "refused" };
    }
    deps ??= build();
    deps.catch(() => {
      deps = undefined;
    });
    const result = await runChatJob(job.data as ChatJob, await deps);
    return { outcome: result.outcome };
  };
}
