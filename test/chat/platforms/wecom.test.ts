import { createDecipheriv, createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decryptWeComMessage,
  encryptWeComMessage,
  readWeComXml,
  signWeComRequest,
  verifyWeComRequest,
  weComConfirmRequest,
  weComSignature,
  weComTextMessage,
  weComUrlVerification,
} from "../../../lib/chat/platforms";
import type { RawHttpRequest } from "../../../lib/chat/types";
import {
  assertBase64BodyVerifiesAsRaw,
  assertTamperRefused,
  charChange,
  commandText,
  replaceChar,
  withBody,
} from "./mutations";

// The sample of WeCom's "加解密方案说明" (https://developer.work.weixin.qq.com/document/path/90968) and
// of the official WXBizMsgCrypt samples.
const DOC = {
  token: "QDG6eK",
  encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  corpId: "wx5823bf96d3bd56c7",
};
const DOC_ENCRYPTED =
  "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3" +
  "TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gs" +
  "ijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUa" +
  "x5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIG" +
  "HBZZIs2pDBS8R07+qN+E7Q==";
const DOC_ECHOSTR =
  "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==";

const SECRETS = {
  token: "wecom-token-for-tests",
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  corpId: "ww0123456789abcdef",
};
const NOW_S = 1_760_000_000;
const NOW_MS = NOW_S * 1000;
const SIGNING = { ...SECRETS, timestampS: NOW_S };

function docPost(): RawHttpRequest {
  return {
    method: "POST",
    path: "/cgi-bin/wxpush",
    headers: { "content-type": "text/xml" },
    query: {
      msg_signature: "477715d11cdb4164915debcba66cb864d751f3e6",
      timestamp: "1409659813",
      nonce: "1372623149",
    },
    body: Buffer.from(
      `<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName><Encrypt><![CDATA[${DOC_ENCRYPTED}]]></Encrypt></xml>`,
    ),
  };
}

describe("WeCom known answers", () => {
  it("verifies and answers the documented URL check", () => {
    const request: RawHttpRequest = {
      method: "GET",
      path: "/cgi-bin/wxpush",
      headers: {},
      query: {
        msg_signature: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
        timestamp: "1409659589",
        nonce: "263014780",
        echostr: DOC_ECHOSTR,
      },
      body: Buffer.alloc(0),
    };

    expect(verifyWeComRequest(request, DOC, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "handshake",
        answer: {
          status: 200,
          headers: { "content-type": "text/plain; charset=utf-8" },
          body: "1616140317555161061",
        },
      },
    });
  });

  it("verifies, decrypts and reads the documented text message", () => {
    expect(verifyWeComRequest(docPost(), DOC, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "4561255354251345929",
        sender: { platform: "wecom", userId: "mycreate" },
        text: "hello",
        replyTo: { platform: "wecom", userId: "mycreate" },
      },
    });
  });

  it("computes the documented signature as SHA-1 over the sorted parts, written out by hand", () => {
    const sorted = [DOC.token, "1409659813", "1372623149", DOC_ENCRYPTED].sort().join("");
    expect(sorted.startsWith("13726231491409659813QDG6eKRypEvHKD8QQ")).toBe(true);
    expect(createHash("sha1").update(sorted).digest("hex")).toBe("477715d11cdb4164915debcba66cb864d751f3e6");
    expect(weComSignature(DOC.token, "1409659813", "1372623149", DOC_ENCRYPTED)).toBe(
      "477715d11cdb4164915debcba66cb864d751f3e6",
    );
  });

  it("decrypts the documented message with node:crypto by hand (key = base64(key + '='), IV = key[0..16))", () => {
    const key = Buffer.from(`${DOC.encodingAesKey}=`, "base64");
    const decipher = createDecipheriv("aes-256-cbc", key, key.subarray(0, 16));
    decipher.setAutoPadding(false);
    const padded = Buffer.concat([decipher.update(DOC_ENCRYPTED, "base64"), decipher.final()]);
    const unpadded = padded.subarray(0, padded.length - padded[padded.length - 1]!);
    const length = unpadded.readUInt32BE(16);
    expect(unpadded.subarray(20 + length).toString()).toBe(DOC.corpId);
    expect(decryptWeComMessage(DOC.encodingAesKey, DOC.corpId, DOC_ENCRYPTED)).toBe(
      unpadded.subarray(20, 20 + length).toString(),
    );
  });

  it("refuses the documented message for another CorpID (receiveid check)", () => {
    expect(verifyWeComRequest(docPost(), { ...DOC, corpId: "ww-someone-else" }, NOW_MS)).toMatchObject({
      ok: false,
      status: 401,
    });
  });

  it("pads to a multiple of 32 bytes, as WeCom does", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (message) => {
        const encrypted = encryptWeComMessage({ ...SECRETS, message });
        expect(Buffer.from(encrypted, "base64").length % 32).toBe(0);
        expect(decryptWeComMessage(SECRETS.encodingAesKey, SECRETS.corpId, encrypted)).toBe(message);
      }),
    );
  });
});

describe("verifyWeComRequest refuses", () => {
  it("a request without msg_signature, timestamp or nonce", () => {
    const request = weComTextMessage("status", SIGNING);
    for (const name of ["msg_signature", "timestamp", "nonce"]) {
      const { [name]: _dropped, ...query } = request.query;
      expect(verifyWeComRequest({ ...request, query }, SECRETS, NOW_MS)).toMatchObject({ status: 401 });
    }
  });

  it("any changed character of the encrypted message", () => {
    fc.assert(
      fc.property(commandText, charChange, (text, change) => {
        const request = weComTextMessage(text, SIGNING);
        const xml = request.body.toString("utf8");
        const encrypted = readWeComXml(xml)!.Encrypt!;
        const tampered = xml.replace(encrypted, replaceChar(encrypted, change.index, change.code));
        expect(verifyWeComRequest(withBody(request, Buffer.from(tampered)), SECRETS, NOW_MS)).toMatchObject({
          ok: false,
          status: 401,
        });
      }),
    );
  });

  it("any changed character of msg_signature, timestamp or nonce", () => {
    assertTamperRefused({
      build: (text) => weComTextMessage(text, SIGNING),
      fields: ["msg_signature", "timestamp", "nonce"],
      in: "query",
      verify: (request) => verifyWeComRequest(request, SECRETS, NOW_MS),
    });
  });

  it("any changed character of a URL check's query", () => {
    assertTamperRefused({
      build: () => weComUrlVerification("echo-123", SIGNING),
      fields: ["msg_signature", "timestamp", "nonce", "echostr"],
      in: "query",
      verify: (request) => verifyWeComRequest(request, SECRETS, NOW_MS),
    });
  });

  it("a body without <Encrypt>, or a message signed with another token", () => {
    const request = weComTextMessage("status", SIGNING);
    expect(verifyWeComRequest(withBody(request, Buffer.from("<xml></xml>")), SECRETS, NOW_MS)).toMatchObject({
      status: 401,
    });
    expect(verifyWeComRequest(request, { ...SECRETS, token: "another" }, NOW_MS)).toMatchObject({
      status: 401,
    });
  });

  it("a correctly signed message encrypted with another key", () => {
    const other = { ...SECRETS, encodingAesKey: "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut" };
    const request = weComTextMessage("status", { ...other, timestampS: NOW_S });
    expect(verifyWeComRequest(request, SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 401 });
  });
});

describe("verifyWeComRequest on API Gateway events", () => {
  it("verifies a base64-encoded body exactly as the raw one", () => {
    assertBase64BodyVerifiesAsRaw({
      build: (text) => weComTextMessage(text, SIGNING),
      flipAt: () => 80,
      verify: (request) => verifyWeComRequest(request, SECRETS, NOW_MS),
    });
  });
});

describe("verifyWeComRequest maps", () => {
  it("a group text message to a command answered to the user and chat", () => {
    const request = weComTextMessage(" release unit-1 ", {
      ...SIGNING,
      msgId: "7000000000000000001",
      userId: "zhangsan",
      chatId: "wrchat42",
    });

    expect(verifyWeComRequest(request, SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "7000000000000000001",
        sender: { platform: "wecom", userId: "zhangsan", roomId: "wrchat42" },
        text: "release unit-1",
        replyTo: { platform: "wecom", userId: "zhangsan", chatId: "wrchat42" },
      },
    });
  });

  it("a template-card button with the key confirm:<id> to a confirm", () => {
    const request = weComConfirmRequest("cf-7", { ...SIGNING, userId: "zhangsan", taskId: "task-1" });

    expect(verifyWeComRequest(request, SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "confirm",
        eventId: `card:task-1:zhangsan:${NOW_S}:cf-7`,
        sender: { platform: "wecom", userId: "zhangsan" },
        confirmationId: "cf-7",
        replyTo: { platform: "wecom", userId: "zhangsan" },
      },
    });
  });

  it("the URL check to its decrypted echostr", () => {
    const request = weComUrlVerification("4242424242", SIGNING);
    expect(verifyWeComRequest(request, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "handshake", answer: { status: 200, body: "4242424242" } },
    });
  });

  it("other events, other message types and another application's messages to ignore", () => {
    const post = (message: string, agentId = "1000002") => {
      const { query, body } = signWeComRequest({ ...SIGNING, message, agentId });
      return { method: "POST", path: "/chat/wecom", headers: {}, query, body } satisfies RawHttpRequest;
    };
    const cases = [
      post(
        "<xml><ToUserName><![CDATA[c]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName><CreateTime>1</CreateTime>" +
          "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[enter_agent]]></Event><AgentID>1000002</AgentID></xml>",
      ),
      post(
        "<xml><FromUserName><![CDATA[u]]></FromUserName><MsgType><![CDATA[image]]></MsgType>" +
          "<PicUrl><![CDATA[https://p]]></PicUrl><MsgId>1</MsgId><AgentID>1000002</AgentID></xml>",
      ),
      post(
        "<xml><FromUserName><![CDATA[u]]></FromUserName><MsgType><![CDATA[event]]></MsgType>" +
          "<Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[cancel:1]]></EventKey>" +
          "<SelectedItems><SelectedItem><QuestionKey><![CDATA[q]]></QuestionKey></SelectedItem></SelectedItems></xml>",
      ),
    ];
    for (const request of cases) {
      expect(verifyWeComRequest(request, SECRETS, NOW_MS)).toMatchObject({
        ok: true,
        event: { kind: "ignore" },
      });
    }
    const forAnotherApp = weComTextMessage("status", { ...SIGNING, agentId: "1000009" });
    expect(verifyWeComRequest(forAnotherApp, { ...SECRETS, agentId: "1000002" }, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "ignore" },
    });
  });

  it("a verified message that is not XML, or lacks its fields, to 400", () => {
    const post = (message: string) => {
      const { query, body } = signWeComRequest({ ...SIGNING, message });
      return { method: "POST", path: "/chat/wecom", headers: {}, query, body } satisfies RawHttpRequest;
    };
    for (const message of ["not xml", "<xml><MsgType>text</MsgType>", "<xml><MsgType>text</MsgType></xml>"]) {
      expect(verifyWeComRequest(post(message), SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 400 });
    }
  });

  it("the real fields, never ones a user typed into the text", () => {
    const request = weComTextMessage("status</Content><MsgId>1</MsgId><ChatId>evil</ChatId><Content>x", {
      ...SIGNING,
      msgId: "999",
      userId: "zhangsan",
    });
    expect(verifyWeComRequest(request, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: {
        kind: "command",
        eventId: "999",
        sender: { platform: "wecom", userId: "zhangsan" },
        text: "status</Content><MsgId>1</MsgId><ChatId>evil</ChatId><Content>x",
        replyTo: { platform: "wecom", userId: "zhangsan" },
      },
    });
  });
});

describe("readWeComXml", () => {
  it("reads CDATA and plain fields, joins split CDATA, decodes entities and skips nested elements", () => {
    const xml =
      "<xml>\n  <A><![CDATA[one]]></A>\n  <B> 42 </B>\n  <C><![CDATA[a]]]]><![CDATA[>b]]></C>\n" +
      "  <D>x &lt; y &amp; z</D>\n  <E><F>nested</F></E>\n  <G/>\n</xml>";
    expect(readWeComXml(xml)).toEqual(
      Object.assign(Object.create(null), { A: "one", B: "42", C: "a]]>b", D: "x < y & z", E: "", G: "" }),
    );
  });

  it("refuses what is not one whole <xml> element", () => {
    for (const xml of [
      "",
      "<xml>",
      "<xml><A>1</B></xml>",
      "<xml></xml><xml></xml>",
      "<root></root>",
      "<xml><A><![CDATA[x</A></xml>",
    ]) {
      expect(readWeComXml(xml)).toBeUndefined();
    }
  });
});
