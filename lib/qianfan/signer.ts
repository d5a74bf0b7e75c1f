import { createHmac } from "node:crypto";

/**
 * bce-auth-v1 request signing, as specified in Baidu Cloud's "Authentication mechanism" reference
 * (https://cloud.baidu.com/doc/Reference/s/njwvz1yfu). The same functions serve the client (to sign)
 * and the emulator (to verify), so the two can never drift apart.
 */

/** Headers signed by default, besides every `x-bce-*` header. */
export const DEFAULT_SIGNED_HEADERS: readonly string[] = [
  "host",
  "content-length",
  "content-type",
  "content-md5",
];

/** The expiration the client asks for, in seconds; the official JS SDK uses the same. */
export const DEFAULT_EXPIRATION_SECONDS = 1800;

const ALL_UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const ALL_UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-_.~/]*$/;
/** encodeURIComponent leaves these alone; RFC 3986 as bce-auth-v1 uses it does not. */
const SUB_DELIMS = /[!'()*]/g;

/**
 * RFC 3986 encoding as bce-auth-v1 wants it: unreserved characters stay, every other UTF-8 byte
 * becomes `%XX` in upper case. `keepSlash` leaves `/` alone, for the canonical URI.
 */
export function uriEncode(value: string, keepSlash = false): string {
  if ((keepSlash ? ALL_UNRESERVED_OR_SLASH : ALL_UNRESERVED).test(value)) return value;
  let out: string;
  try {
    out = encodeURIComponent(value).replace(
      SUB_DELIMS,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    );
  } catch {
    // A lone surrogate: encode the bytes Buffer gives it (U+FFFD), as the request body would carry them.
    out = [...Buffer.from(value, "utf8")]
      .map((b) =>
        /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
          ? String.fromCharCode(b)
          : `%${b.toString(16).toUpperCase().padStart(2, "0")}`,
      )
      .join("");
  }
  return keepSlash ? out.replace(/%2F/g, "/") : out;
}

/** A query parameter value as the signer sees it: a missing value signs as `key=`. */
export type QueryValue = string | number | boolean | null | undefined;

/** The canonical URI: the path encoded except `/`; an empty path is `/`. */
export function canonicalUri(path: string): string {
  if (path === "") return "/";
  return uriEncode(path.startsWith("/") ? path : `/${path}`, true);
}

/** The canonical query string: every parameter but `authorization`, encoded, sorted, joined with `&`. */
export function canonicalQueryString(query: Record<string, QueryValue>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (key.toLowerCase() === "authorization") continue;
    parts.push(`${uriEncode(key)}=${value == null ? "" : uriEncode(String(value))}`);
  }
  return parts.sort().join("&");
}

/** A header value as the signer sees it. */
export type HeaderValue = string | number | null | undefined;

export interface CanonicalHeaders {
  /** `name:value` lines, sorted and joined with `\n`. */
  canonical: string;
  /** The lower-case names that were signed, sorted. */
  signedHeaders: string[];
}

/**
 * Canonical headers: the headers in `headersToSign` (default: host, content-length, content-type,
 * content-md5) plus every `x-bce-*` header, with lower-case names and trimmed values; empty values
 * are skipped.
 */
export function canonicalHeaders(
  headers: Record<string, HeaderValue>,
  headersToSign: readonly string[] = DEFAULT_SIGNED_HEADERS,
): CanonicalHeaders {
  const wanted = new Set(headersToSign.map((h) => h.toLowerCase()));
  const lines: string[] = [];
  for (const [rawName, rawValue] of Object.entries(headers)) {
    if (rawValue == null) continue;
    const value = String(rawValue).trim();
    if (value === "") continue;
    const name = rawName.toLowerCase().trim();
    if (!wanted.has(name) && !name.startsWith("x-bce-")) continue;
    lines.push(`${uriEncode(name)}:${uriEncode(value)}`);
  }
  lines.sort();
  return {
    canonical: lines.join("\n"),
    signedHeaders: lines.map((line) => line.slice(0, line.indexOf(":"))),
  };
}

/** Canonical headers over exactly the named headers (a server checking a client's signed list). */
export function canonicalHeadersExact(
  headers: Record<string, HeaderValue>,
  names: readonly string[],
): CanonicalHeaders {
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const lines: string[] = [];
  for (const [rawName, rawValue] of Object.entries(headers)) {
    const name = rawName.toLowerCase().trim();
    if (!wanted.has(name) || rawValue == null) continue;
    const value = String(rawValue).trim();
    if (value === "") continue;
    lines.push(`${uriEncode(name)}:${uriEncode(value)}`);
  }
  lines.sort();
  return {
    canonical: lines.join("\n"),
    signedHeaders: lines.map((line) => line.slice(0, line.indexOf(":"))),
  };
}

/** Formats an instant as bce-auth-v1 wants it: `YYYY-MM-DDThh:mm:ssZ` (UTC, whole seconds). */
export function formatBceTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function hmacHex(key: string, data: string): string {
  return createHmac("sha256", key).update(data, "utf8").digest("hex");
}

export interface SignInput {
  accessKeyId: string;
  secretAccessKey: string;
  method: string;
  path: string;
  query?: Record<string, QueryValue>;
  headers: Record<string, HeaderValue>;
  /** The signing instant; its whole seconds are used. */
  timestamp: Date;
  expirationSeconds?: number;
  /** Which headers to sign besides `x-bce-*`; default {@link DEFAULT_SIGNED_HEADERS}. */
  headersToSign?: readonly string[];
  /**
   * Sign exactly these headers (lower-case names), no more: how a server recomputes a signature
   * from the list the client wrote in its Authorization.
   */
  exactHeaders?: readonly string[];
  /**
   * Leave the signed-header list out of the Authorization string (the server then assumes the
   * default set plus every `x-bce-*`), as in Baidu's published example.
   */
  omitSignedHeaderList?: boolean;
}

export interface Signature {
  authorization: string;
  signature: string;
  signingKey: string;
  canonicalRequest: string;
  signedHeaders: string[];
}

/** Signs one request with bce-auth-v1 and returns the Authorization value with its parts. */
export function signRequest(input: SignInput): Signature {
  const timestamp = formatBceTimestamp(input.timestamp);
  const expiration = input.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
  const authStringPrefix = `bce-auth-v1/${input.accessKeyId}/${timestamp}/${expiration}`;
  const signingKey = hmacHex(input.secretAccessKey, authStringPrefix);
  const headers = input.exactHeaders
    ? canonicalHeadersExact(input.headers, input.exactHeaders)
    : canonicalHeaders(input.headers, input.headersToSign);
  const canonicalRequest = [
    input.method.toUpperCase(),
    canonicalUri(input.path),
    canonicalQueryString(input.query ?? {}),
    headers.canonical,
  ].join("\n");
  const signature = hmacHex(signingKey, canonicalRequest);
  const list = input.omitSignedHeaderList ? "" : headers.signedHeaders.join(";");
  return {
    authorization: `${authStringPrefix}/${list}/${signature}`,
    signature,
    signingKey,
    canonicalRequest,
    signedHeaders: headers.signedHeaders,
  };
}

/** The parts of a bce-auth-v1 Authorization value. */
export interface ParsedAuthorization {
  accessKeyId: string;
  timestamp: string;
  date: Date;
  expirationSeconds: number;
  /** Empty when the header left the list out (server default set). */
  signedHeaders: string[];
  signature: string;
}

const AUTH_PATTERN =
  /^bce-auth-v1\/([^/]+)\/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z)\/(\d{1,10})\/([^/]*)\/([0-9a-f]{64})$/;

/** Parses an Authorization value; returns undefined when it is not bce-auth-v1 shaped. */
export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const match = AUTH_PATTERN.exec(value.trim());
  if (!match) return undefined;
  const [, accessKeyId, timestamp, expiration, list, signature] = match as unknown as string[];
  const date = new Date(timestamp!);
  if (Number.isNaN(date.getTime())) return undefined;
  return {
    accessKeyId: accessKeyId!,
    timestamp: timestamp!,
    date,
    expirationSeconds: Number(expiration),
    signedHeaders: list === "" ? [] : list!.split(";"),
    signature: signature!,
  };
}
