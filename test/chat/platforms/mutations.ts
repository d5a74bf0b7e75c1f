import fc from "fast-check";
import { expect } from "vitest";
import { rawBodyOf } from "../../../lib/chat/platforms";
import type { RawHttpRequest, VerifyResult } from "../../../lib/chat/types";

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

/**
 * For any command text and any one changed character of any of `fields` (headers, or query
 * parameters with `in: "query"`), `verify` refuses the request with a bare 401.
 */
export function assertTamperRefused(options: {
  build: (text: string) => RawHttpRequest;
  fields: readonly [string, ...string[]];
  in?: "headers" | "query";
  verify: (request: RawHttpRequest) => VerifyResult;
}): void {
  const place = options.in ?? "headers";
  fc.assert(
    fc.property(commandText, fc.constantFrom(...options.fields), charChange, (text, name, change) => {
      const request = options.build(text);
      const changed = replaceChar(request[place][name]!, change.index, change.code);
      const tampered =
        place === "headers" ? withHeader(request, name, changed) : withQuery(request, name, changed);
      expect(options.verify(tampered)).toMatchObject({ ok: false, status: 401 });
    }),
  );
}

/**
 * API Gateway hands some bodies over base64-encoded: for any command text, with the body as sent
 * or with the byte at `flipAt(text)` changed, the decoded body verifies exactly as the raw bytes.
 */
export function assertBase64BodyVerifiesAsRaw(options: {
  build: (text: string) => RawHttpRequest;
  flipAt: (text: string) => number;
  verify: (request: RawHttpRequest) => VerifyResult;
}): void {
  fc.assert(
    fc.property(commandText, fc.boolean(), (text, tamper) => {
      const request = options.build(text);
      const body = tamper ? flipByte(request.body, options.flipAt(text), 1) : request.body;
      const expected = options.verify(withBody(request, body));
      const encoded = rawBodyOf({ body: body.toString("base64"), isBase64Encoded: true });
      expect(options.verify(withBody(request, encoded))).toEqual(expected);
      const plain = rawBodyOf({ body: body.toString("utf8"), isBase64Encoded: false });
      if (plain.equals(body)) expect(options.verify(withBody(request, plain))).toEqual(expected);
    }),
  );
}

/**
 * A correctly signed request replayed outside the window: for any age past `maxSkew` (in the
 * signature's own unit, seconds or milliseconds), either way, `build(offset)` is refused with 401.
 */
export function assertStaleRefused(options: {
  maxSkew: number;
  /** The same span as `maxSkew`, ten years of it. */
  tenYears: number;
  build: (offset: number) => RawHttpRequest;
  verify: (request: RawHttpRequest) => VerifyResult;
}): void {
  fc.assert(
    fc.property(
      fc.integer({ min: options.maxSkew + 1, max: options.tenYears }),
      fc.boolean(),
      (age, future) => {
        const request = options.build(future ? age : -age);
        expect(options.verify(request)).toMatchObject({ ok: false, status: 401 });
      },
    ),
  );
}
