import { timingSafeEqual } from "node:crypto";
import type { Credentials } from "../qianfan/credentials";
import { DEFAULT_SIGNED_HEADERS, parseAuthorization, type QueryValue, signRequest } from "../qianfan/signer";

/** How far ahead of the real clock a signature may be dated. */
export const MAX_FUTURE_SKEW_MS = 15 * 60_000;

export interface VerifyInput {
  method: string;
  /** The path as sent (percent-encoded). */
  rawPath: string;
  query: Record<string, QueryValue>;
  /** Lower-case header names, as node:http gives them. */
  headers: Record<string, string | undefined>;
  lookupSecret: (accessKeyId: string) => string | undefined;
  /** The real wall clock: clients sign with it, whatever the emulator's own clock says. */
  nowMs: number;
}

export type VerifyResult =
  | { ok: true; accessKeyId: string }
  | { ok: false; status: number; code: string; message: string; accessKeyId?: string };

/**
 * Checks a request's bce-auth-v1 signature the way the platform does: a known key, a signature
 * recomputed by lib/qianfan/signer over the listed headers (the default set plus x-bce-* when the
 * list is empty), and a timestamp within its validity on the real clock.
 */
export function verifyAuthorization(input: VerifyInput): VerifyResult {
  const header = input.headers.authorization;
  if (!header)
    return {
      ok: false,
      status: 403,
      code: "AccessDenied",
      message: "Access denied: no Authorization header.",
    };
  const auth = parseAuthorization(header);
  if (!auth)
    return {
      ok: false,
      status: 403,
      code: "AccessDenied",
      message: "Access denied: malformed Authorization header.",
    };
  const secret = input.lookupSecret(auth.accessKeyId);
  if (secret === undefined) {
    return {
      ok: false,
      status: 403,
      code: "InvalidAccessKeyId",
      message: "The access key id does not exist.",
      accessKeyId: auth.accessKeyId,
    };
  }
  const signedAt = auth.date.getTime();
  if (input.nowMs > signedAt + auth.expirationSeconds * 1000 || signedAt > input.nowMs + MAX_FUTURE_SKEW_MS) {
    return {
      ok: false,
      status: 400,
      code: "RequestExpired",
      message: `Request has expired. Timestamp: ${auth.timestamp}`,
      accessKeyId: auth.accessKeyId,
    };
  }
  let path: string;
  try {
    path = decodeURIComponent(input.rawPath);
  } catch {
    return {
      ok: false,
      status: 400,
      code: "InvalidURI",
      message: "The request path is not valid percent-encoding.",
    };
  }
  const expected = signRequest({
    accessKeyId: auth.accessKeyId,
    secretAccessKey: secret,
    method: input.method,
    path,
    query: input.query,
    headers: input.headers,
    timestamp: auth.date,
    expirationSeconds: auth.expirationSeconds,
    ...(auth.signedHeaders.length > 0
      ? { exactHeaders: auth.signedHeaders }
      : { headersToSign: DEFAULT_SIGNED_HEADERS }),
  });
  const a = Buffer.from(expected.signature, "hex");
  const b = Buffer.from(auth.signature, "hex");
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return {
      ok: false,
      status: 403,
      code: "SignatureDoesNotMatch",
      message: "The request signature we calculated does not match the signature you provided.",
      accessKeyId: auth.accessKeyId,
    };
  }
  return { ok: true, accessKeyId: auth.accessKeyId };
}

/** A secret lookup over a list of key pairs. */
export function secretLookup(
  credentials: readonly Credentials[],
): (accessKeyId: string) => string | undefined {
  const map = new Map(credentials.map((c) => [c.accessKeyId, c.secretAccessKey]));
  return (id) => map.get(id);
}
