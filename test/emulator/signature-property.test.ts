import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { verifyAuthorization } from "../../lib/emulator";
import { signRequest, uriEncode } from "../../lib/qianfan/signer";

const SECRET = "sk-property-test";
const NOW = Date.parse("2026-11-23T02:00:00Z");

function signed(path: string, query: Record<string, string>, headerValue: string) {
  const headers: Record<string, string> = {
    host: "127.0.0.1:8790",
    "content-type": "application/json",
    "content-length": "2",
    "x-bce-date": "2026-11-23T02:00:00Z",
    "x-bce-meta": headerValue,
  };
  const { authorization } = signRequest({
    accessKeyId: "ak",
    secretAccessKey: SECRET,
    method: "POST",
    path,
    query,
    headers,
    timestamp: new Date(NOW),
  });
  return {
    rawPath: uriEncode(path, true),
    query,
    headers: { ...headers, authorization } as Record<string, string>,
  };
}

const verify = (r: ReturnType<typeof signed>) =>
  verifyAuthorization({
    method: "POST",
    ...r,
    lookupSecret: (id) => (id === "ak" ? SECRET : undefined),
    nowMs: NOW,
  });

const flip = (text: string, at: number) => {
  const i = at % text.length;
  const c = text.charCodeAt(i);
  return text.slice(0, i) + String.fromCharCode(c === 0x61 ? 0x62 : 0x61) + text.slice(i + 1);
};

const text = fc
  .string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(..."abcXYZ09-_~/ é测%") })
  .filter((s) => s.trim() === s && s.length > 0);

describe("the emulator's signature check", () => {
  it("accepts every request signed correctly", () => {
    fc.assert(
      fc.property(text, text, text, (p, q, h) => {
        expect(verify(signed(`/v2/${p}`, { Action: q }, h))).toMatchObject({ ok: true });
      }),
      { numRuns: 200 },
    );
  });

  it("refuses a request once any one byte of path, query, a signed header, timestamp or signature changes", () => {
    const signedHeaders = ["host", "content-type", "content-length", "x-bce-date", "x-bce-meta"] as const;
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.constantFrom("path", "query", "header", "timestamp", "signature"),
        fc.constantFrom(...signedHeaders),
        fc.nat(),
        (p, q, h, part, header, at) => {
          const r = signed(`/v2/${p}`, { Action: q }, h);
          const changed = structuredClone(r);
          const auth = r.headers.authorization!;
          if (part === "path") changed.rawPath = uriEncode(flip(decodeURIComponent(r.rawPath), at + 4), true);
          if (part === "query") changed.query = { Action: flip(q, at) };
          if (part === "header") changed.headers[header] = flip(r.headers[header]!, at);
          if (part === "timestamp") {
            // One second later, still well inside the validity window: only the signature can tell.
            changed.headers.authorization = auth.replace("2026-11-23T02:00:00Z", "2026-11-23T02:00:01Z");
          }
          if (part === "signature") {
            const i = auth.length - 1 - (at % 64);
            changed.headers.authorization =
              auth.slice(0, i) + (auth[i] === "0" ? "1" : "0") + auth.slice(i + 1);
          }
          fc.pre(JSON.stringify(changed) !== JSON.stringify(r));
          expect(verify(changed)).toMatchObject({ ok: false, code: "SignatureDoesNotMatch" });
        },
      ),
      { numRuns: 600 },
    );
  });

  it("refuses a signature used after its expiration", () => {
    const r = signed("/v2/computeunit", { Action: "X" }, "v");
    const late = verifyAuthorization({
      method: "POST",
      ...r,
      lookupSecret: () => SECRET,
      nowMs: NOW + 1801_000,
    });
    expect(late).toMatchObject({ ok: false, code: "RequestExpired" });
  });
});
