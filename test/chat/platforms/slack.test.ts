import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  SLACK_MAX_SKEW_S,
  signSlackRequest,
  slackCommandRequest,
  slackConfirmRequest,
  slackMentionEvent,
  slackSignature,
  slackUrlVerification,
  stripSlackMentions,
  verifySlackRequest,
} from "../../../lib/chat/platforms";
import type { RawHttpRequest } from "../../../lib/chat/types";
import {
  assertBase64BodyVerifiesAsRaw,
  assertStaleRefused,
  assertTamperRefused,
  byteChange,
  commandText,
  flipByte,
  withBody,
  withHeader,
} from "./mutations";

// The worked example of Slack's "Verifying requests from Slack"
// (https://api.slack.com/authentication/verifying-requests-from-slack).
const DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TIMESTAMP = "1531420618";
const DOC_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&" +
  "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&" +
  "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&" +
  "trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

const SECRETS = { signingSecret: "slack-signing-secret-for-tests" };
const NOW_S = 1_760_000_000;
const NOW_MS = NOW_S * 1000;
const SIGNING = { ...SECRETS, timestampS: NOW_S };

function docRequest(headers: Record<string, string>): RawHttpRequest {
  return {
    method: "POST",
    path: "/chat/slack",
    headers,
    query: {},
    body: Buffer.from(DOC_BODY, "utf8"),
  };
}

describe("Slack known answers", () => {
  it("computes the signature of Slack's documented example", () => {
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(
      signSlackRequest({ signingSecret: DOC_SECRET, timestampS: Number(DOC_TIMESTAMP), body: DOC_BODY }),
    ).toEqual({
      "x-slack-request-timestamp": DOC_TIMESTAMP,
      "x-slack-signature": DOC_SIGNATURE,
    });
  });

  it("accepts the documented request (headers in any case) and reads its slash command", () => {
    const request = docRequest({
      "X-Slack-Signature": DOC_SIGNATURE,
      "X-Slack-Request-Timestamp": DOC_TIMESTAMP,
    });

    const result = verifySlackRequest(request, { signingSecret: DOC_SECRET }, Number(DOC_TIMESTAMP) * 1000);

    expect(result).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
        sender: { platform: "slack", userId: "U2CERLKJA", roomId: "G8PSS9T3V" },
        text: "",
        replyTo: {
          platform: "slack",
          responseUrl: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
        },
      },
    });
  });

  it("refuses the documented request today: its timestamp is years old", () => {
    const request = docRequest({
      "x-slack-signature": DOC_SIGNATURE,
      "x-slack-request-timestamp": DOC_TIMESTAMP,
    });
    expect(verifySlackRequest(request, { signingSecret: DOC_SECRET }, NOW_MS)).toMatchObject({
      ok: false,
      status: 401,
    });
  });
});

describe("verifySlackRequest refuses", () => {
  const good = slackCommandRequest("status", SIGNING);

  it("a request without the signature or timestamp header", () => {
    const { "x-slack-signature": _s, ...noSignature } = good.headers;
    const { "x-slack-request-timestamp": _t, ...noTimestamp } = good.headers;
    expect(verifySlackRequest({ ...good, headers: noSignature }, SECRETS, NOW_MS)).toMatchObject({
      status: 401,
    });
    expect(verifySlackRequest({ ...good, headers: noTimestamp }, SECRETS, NOW_MS)).toMatchObject({
      status: 401,
    });
  });

  it("a request signed with another secret", () => {
    expect(verifySlackRequest(good, { signingSecret: "another-secret" }, NOW_MS)).toMatchObject({
      status: 401,
    });
  });

  it("a timestamp more than five minutes away, either way, and accepts one exactly five minutes away", () => {
    expect(verifySlackRequest(good, SECRETS, NOW_MS + SLACK_MAX_SKEW_S * 1000)).toMatchObject({ ok: true });
    expect(verifySlackRequest(good, SECRETS, NOW_MS - SLACK_MAX_SKEW_S * 1000)).toMatchObject({ ok: true });
    expect(verifySlackRequest(good, SECRETS, NOW_MS + SLACK_MAX_SKEW_S * 1000 + 1)).toMatchObject({
      status: 401,
    });
    expect(verifySlackRequest(good, SECRETS, NOW_MS - SLACK_MAX_SKEW_S * 1000 - 1)).toMatchObject({
      status: 401,
    });
  });

  it("any changed byte of the body", () => {
    fc.assert(
      fc.property(commandText, byteChange, (text, change) => {
        const request = slackCommandRequest(text, SIGNING);
        const tampered = withBody(request, flipByte(request.body, change.index, change.xor));
        expect(verifySlackRequest(tampered, SECRETS, NOW_MS)).toMatchObject({ ok: false, status: 401 });
      }),
    );
  });

  it("any changed character of the signature or the timestamp header", () => {
    assertTamperRefused({
      build: (text) => slackCommandRequest(text, SIGNING),
      fields: ["x-slack-signature", "x-slack-request-timestamp"],
      verify: (request) => verifySlackRequest(request, SECRETS, NOW_MS),
    });
  });

  it("a correctly signed request replayed outside the window", () => {
    assertStaleRefused({
      maxSkew: SLACK_MAX_SKEW_S,
      tenYears: 10 * 365 * 86_400,
      build: (offsetS) => slackCommandRequest("status", { ...SECRETS, timestampS: NOW_S + offsetS }),
      verify: (request) => verifySlackRequest(request, SECRETS, NOW_MS),
    });
  });
});

describe("verifySlackRequest on API Gateway events", () => {
  it("verifies a base64-encoded body exactly as the raw one", () => {
    assertBase64BodyVerifiesAsRaw({
      build: (text) => slackCommandRequest(text, SIGNING),
      flipAt: (text) => text.length,
      verify: (request) => verifySlackRequest(request, SECRETS, NOW_MS),
    });
  });
});

describe("verifySlackRequest maps", () => {
  it("a slash command to a command answered on its response_url, keyed by trigger_id", () => {
    const request = slackCommandRequest("  release  unit-1 ", {
      ...SIGNING,
      userId: "U42",
      channelId: "C42",
      responseUrl: "https://hooks.slack.com/commands/T1/2/abc",
      triggerId: "trigger-1",
    });

    expect(verifySlackRequest(request, SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "trigger-1",
        sender: { platform: "slack", userId: "U42", roomId: "C42" },
        text: "release  unit-1",
        replyTo: { platform: "slack", responseUrl: "https://hooks.slack.com/commands/T1/2/abc" },
      },
    });
  });

  it("a confirmation button press to a confirm keyed by its action_ts", () => {
    const request = slackConfirmRequest("cf-123", {
      ...SIGNING,
      userId: "U42",
      channelId: "C42",
      responseUrl: "https://hooks.slack.com/actions/T1/2/abc",
      actionTs: "1760000000.555",
    });

    expect(verifySlackRequest(request, SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "confirm",
        eventId: "1760000000.555",
        sender: { platform: "slack", userId: "U42", roomId: "C42" },
        confirmationId: "cf-123",
        replyTo: { platform: "slack", responseUrl: "https://hooks.slack.com/actions/T1/2/abc" },
      },
    });
  });

  it("an Events API url_verification to the challenge, after the signature", () => {
    const request = slackUrlVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", SIGNING);

    const result = verifySlackRequest(request, SECRETS, NOW_MS);

    expect(result).toMatchObject({ ok: true, event: { kind: "handshake" } });
    if (!result.ok || result.event.kind !== "handshake") throw new Error("not a handshake");
    expect(result.event.answer.status).toBe(200);
    expect(JSON.parse(result.event.answer.body)).toEqual({
      challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
    });
    expect(verifySlackRequest(request, { signingSecret: "another" }, NOW_MS)).toMatchObject({ status: 401 });
  });

  it("an app_mention to a command without the mention, answered in its channel thread", () => {
    const request = slackMentionEvent("status  <@U0OTHER|someone> now", {
      ...SIGNING,
      userId: "U42",
      channelId: "C42",
      eventId: "Ev123",
      ts: "1760000000.000200",
    });

    expect(verifySlackRequest(request, SECRETS, NOW_MS)).toEqual({
      ok: true,
      event: {
        kind: "command",
        eventId: "Ev123",
        sender: { platform: "slack", userId: "U42", roomId: "C42" },
        text: "status now",
        replyTo: { platform: "slack", responseUrl: "", channel: "C42", threadTs: "1760000000.000200" },
      },
    });
  });

  it("a bot's message to ignore, so the bot never answers itself", () => {
    const request = slackMentionEvent("status", { ...SIGNING, botId: "B123" });
    expect(verifySlackRequest(request, SECRETS, NOW_MS)).toMatchObject({
      ok: true,
      event: { kind: "ignore" },
    });
  });

  it("a button that is not a confirmation, an ssl_check and other events to ignore", () => {
    const other = (body: string, contentType: string) =>
      withHeader(
        { ...slackCommandRequest("x", SIGNING), body: Buffer.from(body), headers: {} },
        "content-type",
        contentType,
      );
    const sign = (request: RawHttpRequest) => ({
      ...request,
      headers: { ...request.headers, ...signSlackRequest({ ...SIGNING, body: request.body }) },
    });
    const cases = [
      other("ssl_check=1&token=abc", "application/x-www-form-urlencoded"),
      other(
        `payload=${encodeURIComponent(JSON.stringify({ type: "block_actions", actions: [{ value: "cancel:1" }] }))}`,
        "application/x-www-form-urlencoded",
      ),
      other(
        `payload=${encodeURIComponent(JSON.stringify({ type: "view_submission" }))}`,
        "application/x-www-form-urlencoded",
      ),
      other(
        JSON.stringify({ type: "event_callback", event_id: "Ev1", event: { type: "reaction_added" } }),
        "application/json",
      ),
      other(JSON.stringify({ type: "app_rate_limited" }), "application/json"),
    ];
    for (const request of cases) {
      expect(verifySlackRequest(sign(request), SECRETS, NOW_MS)).toMatchObject({
        ok: true,
        event: { kind: "ignore" },
      });
    }
  });

  it("a signed but malformed request to 400", () => {
    const signed = (body: string, contentType: string): RawHttpRequest => ({
      method: "POST",
      path: "/chat/slack",
      query: {},
      body: Buffer.from(body),
      headers: { "content-type": contentType, ...signSlackRequest({ ...SIGNING, body }) },
    });
    expect(verifySlackRequest(signed("{not json", "application/json"), SECRETS, NOW_MS)).toMatchObject({
      status: 400,
    });
    expect(
      verifySlackRequest(signed("payload=%7Bnope", "application/x-www-form-urlencoded"), SECRETS, NOW_MS),
    ).toMatchObject({ status: 400 });
    expect(
      verifySlackRequest(
        signed("command=%2Fqfhk&text=status&user_id=U1", "application/x-www-form-urlencoded"),
        SECRETS,
        NOW_MS,
      ),
    ).toMatchObject({ status: 400 });
  });

  it("mentions out of the text, in both of Slack's forms", () => {
    expect(stripSlackMentions("<@U0BOT> release <@U123|ann>  unit-1")).toBe("release unit-1");
  });
});
