import { apiBaseUnder, checkRepliesUrl } from "../chat/outbound/replies-url";
import { readChatSecrets } from "../chat/secrets";
import type { ChatSecrets, RawHttpRequest } from "../chat/types";
import { type ChatJob, handleChatWebhook } from "../chat/webhook";
import { COMPILED_CONFIG_PATH, loadCompiledConfig, processEnv, readEnv } from "../config/runtime";
import { QianfanConfigError } from "../qianfan/errors";
import { locateState, openStateStore } from "./state-store";

/** An HTTP API (payload 2.0) or function URL request: the fields the webhook reads. */
export interface HttpApiEvent {
  rawPath?: string;
  requestContext?: { http?: { method?: string } };
  headers?: Record<string, string | undefined>;
  queryStringParameters?: Record<string, string | undefined>;
  pathParameters?: Record<string, string | undefined>;
  body?: string | null;
  isBase64Encoded?: boolean;
}

export interface HttpApiResult {
  statusCode: number;
  headers?: Record<string, string>;
  body: string;
}

/**
 * The request as the platform sent it: the body back to its raw bytes (API Gateway may have
 * base64-encoded it), header names lower-case.
 */
export function rawRequestOf(event: HttpApiEvent): RawHttpRequest {
  const body =
    event.body == null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined) headers[name.toLowerCase()] = value;
  }
  const query: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query[name] = value;
  }
  return {
    method: event.requestContext?.http?.method ?? "POST",
    path: event.rawPath ?? "/",
    headers,
    query,
    body,
  };
}

/** The platform a request is for: `/chatops/{platform}`. */
export function platformOf(event: HttpApiEvent): string {
  return event.pathParameters?.platform ?? /\/chatops\/([a-z]+)\/?$/.exec(event.rawPath ?? "")?.[1] ?? "";
}

/** Hands a job to the worker function: an asynchronous invoke, which returns once it is queued. */
export function lambdaDispatch(functionName: string): (job: ChatJob) => Promise<void> {
  let client: import("@aws-sdk/client-lambda").LambdaClient | undefined;
  return async (job) => {
    const sdk = await import("@aws-sdk/client-lambda");
    client ??= new sdk.LambdaClient({});
    const answer = await client.send(
      new sdk.InvokeCommand({
        FunctionName: functionName,
        InvocationType: "Event",
        Payload: new TextEncoder().encode(JSON.stringify(job)),
      }),
    );
    if (answer.StatusCode !== 202) throw new Error(`the worker was not queued (status ${answer.StatusCode})`);
  };
}

/** The chat webhook's Lambda handler: config, secrets and store read once per container. */
export function makeChatWebhookHandler(env: Record<string, string | undefined> = processEnv()) {
  let ready: Promise<Parameters<typeof handleChatWebhook>[2]> | undefined;
  const build = async () => {
    const vars = readEnv(env);
    const loaded = await loadCompiledConfig(vars.QFHK_CONFIG ?? COMPILED_CONFIG_PATH);
    if (!vars.QFHK_CHAT_WORKER) throw new QianfanConfigError("QFHK_CHAT_WORKER is not set");
    let secrets: Promise<ChatSecrets> | undefined;
    const replies = vars.QFHK_CHAT_REPLIES_URL ? checkRepliesUrl(vars.QFHK_CHAT_REPLIES_URL) : undefined;
    return {
      secrets: () => {
        secrets ??= readChatSecrets(env).catch((error) => {
          secrets = undefined;
          throw error;
        });
        return secrets;
      },
      store: await openStateStore(locateState(loaded, env), loaded),
      dispatch: lambdaDispatch(vars.QFHK_CHAT_WORKER),
      now: () => new Date(),
      maxBodyBytes: loaded.config.chat?.maxBodyBytes ?? 64 * 1024,
      dedupTtlMs: loaded.config.chat?.dedupTtl ?? 24 * 3_600_000,
      ...(replies ? { dingtalkSessionBase: apiBaseUnder(replies).dingtalk } : {}),
      log: (event: string, detail: Record<string, unknown>) =>
        console.log(JSON.stringify({ event, ...detail })),
    };
  };
  return async (event: HttpApiEvent): Promise<HttpApiResult> => {
    ready ??= build();
    ready.catch(() => {
      ready = undefined;
    });
    try {
      const answer = await handleChatWebhook(platformOf(event), rawRequestOf(event), await ready);
      return { statusCode: answer.status, headers: answer.headers, body: answer.body };
    } catch (error) {
      // No detail to the caller; the log says what went wrong (never a secret: messages name sources only).
      console.log(
        JSON.stringify({
          event: "chat.error",
          error: error instanceof Error ? error.message : String(error),
        }),
      );
      return { statusCode: 500, body: "" };
    }
  };
}
