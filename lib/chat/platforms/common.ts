import { timingSafeEqual } from "node:crypto";
import type { HttpAnswer, InboundEvent, RawHttpRequest, VerifyResult } from "../types";

/**
 * The body bytes of an API Gateway or function URL event: base64-decoded when the event says so,
 * else the UTF-8 bytes of the string. Signatures are checked on these bytes, never on a re-encoding.
 */
export function rawBodyOf(event: { body?: string | null; isBase64Encoded?: boolean }): Buffer {
  const body = event.body ?? "";
  return event.isBase64Encoded ? Buffer.from(body, "base64") : Buffer.from(body, "utf8");
}

/** A payload that cannot be decrypted or decoded (wrong key, truncated or altered ciphertext). */
export class ChatCryptoError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "ChatCryptoError";
  override name = "ChatCryptoError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A header's value, whatever the case of its name (the webhook lower-cases them; a test may not). */
export function headerOf(request: RawHttpRequest, name: string): string | undefined {
  const wanted = name.toLowerCase();
  const direct = request.headers[wanted];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** Constant-time string comparison; a length difference is answered at once (it reveals only the length). */
export function safeEqual(actual: string, expected: string): boolean {
  const a = Buffer.from(actual, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

export function accept(event: InboundEvent): VerifyResult {
  return { ok: true, event };
}

export function refuse(status: 400 | 401, reason: string): VerifyResult {
  return { ok: false, status, reason };
}

export function ignore(reason: string): VerifyResult {
  return accept({ kind: "ignore", reason });
}

export function handshake(answer: HttpAnswer): VerifyResult {
  return accept({ kind: "handshake", answer });
}

export function jsonAnswer(value: unknown): HttpAnswer {
  return {
    status: 200,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(value),
  };
}

/** Parses JSON without throwing: `undefined` for anything that is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A non-empty string field of an object, or `undefined`. */
export function stringField(value: unknown, key: string): string | undefined {
  if (!isObject(value)) return undefined;
  const field = value[key];
  return typeof field === "string" && field !== "" ? field : undefined;
}

export function objectField(value: unknown, key: string): JsonObject | undefined {
  if (!isObject(value)) return undefined;
  const field = value[key];
  return isObject(field) ? field : undefined;
}

/** `confirm:<id>` → `<id>`; anything else → `undefined`. */
export function confirmationIdOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^confirm:(\S+)$/.exec(value.trim());
  return match?.[1];
}

/** A request as the webhook would hand it over: lower-case header names, raw body bytes. */
export function rawRequest(input: {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  body?: Buffer | string;
}): RawHttpRequest {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(input.headers ?? {})) headers[key.toLowerCase()] = value;
  const body = input.body ?? "";
  return {
    method: input.method ?? "POST",
    path: input.path,
    headers,
    query: { ...(input.query ?? {}) },
    body: typeof body === "string" ? Buffer.from(body, "utf8") : body,
  };
}
