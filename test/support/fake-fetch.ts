import { QianfanClient, type QianfanClientOptions, staticCredentials } from "../../lib/qianfan";

/** A scripted stand-in for fetch: each call gets the next answer; the requests are kept for assertions. */
export interface RecordedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A body sent chunk by chunk, made only when the reader asks for it (so a huge one costs nothing
 * unless it is read): `prefix`, then `fill` repeated up to `totalBytes`, `chunkBytes` at a time.
 * With `stallAfterBytes` it stops sending there and never ends, ignoring any abort signal (as a
 * careless fetch might), so only the reader can give up on it.
 */
export interface StreamedBody {
  totalBytes: number;
  chunkBytes?: number;
  prefix?: string;
  fill?: string;
  stallAfterBytes?: number;
}

export type Answer =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { status: number; stream: StreamedBody; headers?: Record<string, string> }
  | { networkError: string }
  | { hang: true };

export function fakeFetch(answers: Answer[] | ((request: RecordedRequest, index: number) => Answer)) {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let bytesStreamed = 0;
  let streamsCancelled = 0;
  const streamed = (spec: StreamedBody): ReadableStream<Uint8Array> => {
    const chunkBytes = spec.chunkBytes ?? 64 * 1024;
    const prefix = Buffer.from(spec.prefix ?? "");
    const fill = Buffer.from(spec.fill ?? " ");
    let sent = 0;
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          if (spec.stallAfterBytes !== undefined && sent >= spec.stallAfterBytes) {
            await new Promise<never>(() => {});
          }
          if (sent >= spec.totalBytes) {
            controller.close();
            return;
          }
          const size = Math.min(chunkBytes, spec.totalBytes - sent);
          const chunk = Buffer.alloc(size, fill);
          if (sent < prefix.length) prefix.copy(chunk, 0, sent, Math.min(prefix.length, sent + size));
          sent += size;
          bytesStreamed += size;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        },
        cancel: () => {
          streamsCancelled += 1;
        },
      },
      { highWaterMark: 0 },
    );
  };
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const headers: Record<string, string> = { host: url.host };
    for (const [k, v] of Object.entries((init?.headers ?? {}) as Record<string, string>))
      headers[k.toLowerCase()] = v;
    const request: RecordedRequest = {
      url,
      method: init?.method ?? "GET",
      headers,
      body: String(init?.body ?? ""),
      at: performance.now(),
    };
    requests.push(request);
    const index = requests.length - 1;
    const answer =
      typeof answers === "function" ? answers(request, index) : answers[Math.min(index, answers.length - 1)];
    if (!answer) throw new Error("fakeFetch: no answer scripted");
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if ("hang" in answer) {
        await new Promise<void>((_, reject) => {
          init?.signal?.addEventListener("abort", () => reject(init.signal?.reason), { once: true });
        });
      }
      if ("networkError" in answer) {
        throw Object.assign(new TypeError("fetch failed"), {
          cause: Object.assign(new Error(`socket ${answer.networkError}`), { code: answer.networkError }),
        });
      }
      if ("stream" in answer) {
        return new Response(streamed(answer.stream), { status: answer.status, headers: answer.headers });
      }
      if ("status" in answer) {
        if (answer.delayMs) await new Promise((r) => setTimeout(r, answer.delayMs));
        const text = typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body ?? null);
        return new Response(text, { status: answer.status, headers: answer.headers });
      }
      throw new Error("unreachable");
    } finally {
      inFlight -= 1;
    }
  };
  return {
    fetch: fetch as typeof globalThis.fetch,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    /** Bytes of streamed bodies handed to a reader so far. */
    get bytesStreamed() {
      return bytesStreamed;
    },
    /** Streamed bodies their reader gave up on. */
    get streamsCancelled() {
      return streamsCancelled;
    },
  };
}

export const ok = (result: unknown, requestId = "req-ok") => ({ status: 200, body: { requestId, result } });
export const fail = (
  status: number,
  code: string,
  message = code,
  requestId = "req-err",
  headers?: Record<string, string>,
) => ({
  status,
  body: { requestId, code, message },
  headers,
});

/**
 * A QianfanClient over a fake fetch, with fast retries and loose pacing for tests; `options`
 * overrides any of it.
 */
export function clientOver(
  fetch: QianfanClientOptions["fetch"],
  options: Partial<QianfanClientOptions> = {},
): QianfanClient {
  return new QianfanClient({
    credentials: staticCredentials({ accessKeyId: "ak", secretAccessKey: "sk" }),
    baseUrl: "http://127.0.0.1:1",
    fetch,
    retry: { retries: 4, minDelayMs: 1, maxDelayMs: 5, maxRetryTimeMs: 10_000 },
    pacing: { requestsPerSecond: 1000, concurrency: 8, adaptive: false },
    ...options,
  });
}
