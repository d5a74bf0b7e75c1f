import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import type { RawHttpRequest } from "./types";
import { handleChatWebhook, type WebhookDeps } from "./webhook";

/** A running local chat webhook. */
export interface LocalWebhook {
  /** `http://127.0.0.1:PORT`; requests go to `/chatops/{platform}`. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the chat webhook on 127.0.0.1 the way the deployed function does (`/chatops/{platform}`,
 * the raw body bytes verified before parsing), for `qfhk chat` and the end-to-end tests.
 */
export async function startLocalWebhook(deps: WebhookDeps): Promise<LocalWebhook> {
  const server = createServer((req, res) => {
    readRequest(req, deps.maxBodyBytes)
      .then(async (request) => {
        if (!request) return res.writeHead(413).end();
        const platform = /^\/chatops\/([a-z]+)\/?$/.exec(request.path)?.[1] ?? "";
        const answer = await handleChatWebhook(platform, request, deps);
        res.writeHead(answer.status, answer.headers ?? {}).end(answer.body);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The request with its body as raw bytes; undefined when the body is over `maxBytes`. */
async function readRequest(req: IncomingMessage, maxBytes: number): Promise<RawHttpRequest | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // One byte over is enough to answer 413; reading more would let a client fill memory.
    if (size > maxBytes + 1) return undefined;
    chunks.push(chunk as Buffer);
  }
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === "string") headers[name.toLowerCase()] = value;
    else if (Array.isArray(value)) headers[name.toLowerCase()] = value.join(", ");
  }
  return {
    method: req.method ?? "POST",
    path: url.pathname,
    headers,
    query: Object.fromEntries(url.searchParams),
    body: Buffer.concat(chunks),
  };
}
