import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  canonicalHeaders,
  canonicalQueryString,
  type HeaderValue,
  type QueryValue,
  signRequest,
  uriEncode,
} from "../../lib/qianfan/signer";

interface VectorInputs {
  accessKeyId: string;
  secretAccessKey: string;
  method: string;
  path: string;
  query: Record<string, QueryValue>;
  headers: Record<string, HeaderValue>;
  timestamp: string;
  expirationPeriodInSeconds: number;
}
interface Vector {
  id: string;
  inputs: VectorInputs;
  derived_canonicalRequest?: string;
  derived_signingKey?: string;
  derived_canonicalQueryString?: string;
  expected_signature?: string;
  expected_authorization: string;
}
interface UnitVectors {
  id: string;
  queryStringCanonicalization: { input: Record<string, QueryValue>; expected: string };
  normalize: { input: string; expected: string };
  headersCanonicalization: {
    input: Record<string, HeaderValue>;
    expected_canonicalHeaders: string;
    expected_signedHeaders_without_content_md5: string[];
  };
}

const file = new URL("../fixtures/bce-auth-v1-vectors.json", import.meta.url);
const all = JSON.parse(readFileSync(file, "utf8")).vectors as Array<Vector | UnitVectors>;
const requestVectors = all.filter((v): v is Vector => "expected_authorization" in v);
const units = all.find((v): v is UnitVectors => "normalize" in v)!;

describe("bce-auth-v1 published vectors", () => {
  it("has the vectors file with every request vector", () => {
    expect(requestVectors.map((v) => v.id)).toEqual([
      "baidu-doc-bos-uploadpart",
      "baidu-doc-inputs-host-xbcedate",
      "bce-sdk-js-auth-spec-1",
      "bce-sdk-js-auth-spec-2",
      "qianfan-console-shaped-sdk-generated",
    ]);
  });

  for (const vector of requestVectors) {
    it(`reproduces ${vector.id}`, () => {
      const expectedList = vector.expected_authorization.split("/")[4]!;
      const headersToSign = expectedList === "" ? undefined : expectedList.split(";");
      const signed = signRequest({
        accessKeyId: vector.inputs.accessKeyId,
        secretAccessKey: vector.inputs.secretAccessKey,
        method: vector.inputs.method,
        path: vector.inputs.path,
        query: vector.inputs.query,
        headers: vector.inputs.headers,
        timestamp: new Date(vector.inputs.timestamp),
        expirationSeconds: vector.inputs.expirationPeriodInSeconds,
        headersToSign,
        omitSignedHeaderList: expectedList === "",
      });
      if (vector.derived_canonicalRequest)
        expect(signed.canonicalRequest).toBe(vector.derived_canonicalRequest);
      if (vector.derived_signingKey) expect(signed.signingKey).toBe(vector.derived_signingKey);
      if (vector.expected_signature) expect(signed.signature).toBe(vector.expected_signature);
      if (vector.derived_canonicalQueryString) {
        expect(canonicalQueryString(vector.inputs.query)).toBe(vector.derived_canonicalQueryString);
      }
      expect(signed.authorization).toBe(vector.expected_authorization);
    });
  }

  it("signs the default header set when no list is given (Baidu's example, list written out)", () => {
    const vector = requestVectors[0]!;
    const signed = signRequest({
      accessKeyId: vector.inputs.accessKeyId,
      secretAccessKey: vector.inputs.secretAccessKey,
      method: vector.inputs.method,
      path: vector.inputs.path,
      query: vector.inputs.query,
      headers: vector.inputs.headers,
      timestamp: new Date(vector.inputs.timestamp),
    });
    expect(signed.authorization).toBe(
      "bce-auth-v1/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/2015-04-27T08:23:49Z/1800/content-length;content-md5;content-type;host;x-bce-date/d74a04362e6a848f5b39b15421cb449427f419c95a480fd6b8cf9fc783e2999e",
    );
  });

  it("canonicalises the SDK's unit inputs", () => {
    expect(canonicalQueryString(units.queryStringCanonicalization.input)).toBe(
      units.queryStringCanonicalization.expected,
    );
    expect(uriEncode(units.normalize.input)).toBe(units.normalize.expected);
    const headers = canonicalHeaders(units.headersCanonicalization.input);
    expect(headers.canonical).toBe(units.headersCanonicalization.expected_canonicalHeaders);
    expect(headers.signedHeaders.filter((h) => h !== "content-md5")).toEqual(
      units.headersCanonicalization.expected_signedHeaders_without_content_md5,
    );
  });
});
