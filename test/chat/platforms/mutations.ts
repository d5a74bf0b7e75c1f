import fc from "fast-check";
import type { RawHttpRequest } from "../../../lib/chat/types";

/** A copy of `bytes` with one byte changed (XOR with a non-zero value). */
export function flipByte(bytes: Buffer, index: number, xor: number): Buffer {
  const copy = Buffer.from(bytes);
  const at = index % copy.length;
  copy[at] = (copy[at]! ^ xor) & 0xff;
  return copy;
}

/** A copy of `text` with one character replaced by a different printable ASCII character. */
export function replaceChar(text: string, index: number, code: number): string {
  const at = index % text.length;
  const original = text.charCodeAt(at);
  const replacement = code === original ? ((code - 33 + 1) % 94) + 33 : code;
  return text.slice(0, at) + String.fromCharCode(replacement) + text.slice(at + 1);
}

/** Arbitraries for one changed byte / character. */
export const byteChange = fc.record({ index: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) });
export const charChange = fc.record({ index: fc.nat(), code: fc.integer({ min: 33, max: 126 }) });

export function withHeader(request: RawHttpRequest, name: string, value: string): RawHttpRequest {
  return { ...request, headers: { ...request.headers, [name]: value } };
}

export function withQuery(request: RawHttpRequest, name: string, value: string): RawHttpRequest {
  return { ...request, query: { ...request.query, [name]: value } };
}

export function withBody(request: RawHttpRequest, body: Buffer): RawHttpRequest {
  return { ...request, body };
}

/** Text a user might type: printable, with spaces, some non-ASCII. */
export const commandText = fc
  .string({
    unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789 -_:./@&=+%中文é\"'<>"),
    maxLength: 40,
  })
  .map((text) => text.replace(/\s+/g, " ").trim());
