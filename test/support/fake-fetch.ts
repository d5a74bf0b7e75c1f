/** A scripted stand-in for fetch: each call gets the next answer; the requests are kept for assertions. */
export interface RecordedRequest {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

export type Answer =
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { networkError: string }
  | { hang: true };

export function fakeFetch(answers: Answer[] | ((request: RecordedRequest, index: number) => Answer)) {
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
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
