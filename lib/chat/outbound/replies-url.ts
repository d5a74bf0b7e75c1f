import { QianfanConfigError } from "../../qianfan/errors";

/** Hosts a local reply stand-in may be on: this machine only. */
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * The root of a local stand-in for the platforms' reply routes (QFHK_CHAT_REPLIES_URL), checked:
 * plain http on this machine only, so a setting meant for `serverless offline` can never send a
 * deployed function's replies anywhere but to the platforms.
 */
export function checkRepliesUrl(text: string, source = "QFHK_CHAT_REPLIES_URL"): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new QianfanConfigError(`${source}: '${text}' is not a URL`);
  }
  if (url.protocol !== "http:" || !LOOPBACK.has(url.hostname) || url.username || url.password) {
    throw new QianfanConfigError(
      `${source}: must be http://127.0.0.1:<port> or http://localhost:<port> (a local stand-in for the platforms' reply routes)`,
    );
  }
  if (url.search || url.hash || (url.pathname !== "/" && url.pathname !== "")) {
    throw new QianfanConfigError(`${source}: give the stand-in's root, without a path or query`);
  }
  return url;
}

/** The platforms' API bases under a stand-in's root: each platform's routes under /<platform>. */
export function apiBaseUnder(root: string | URL) {
  const url = String(root).replace(/\/+$/, "");
  return {
    slack: `${url}/slack`,
    slackApi: `${url}/slack/api`,
    dingtalk: `${url}/dingtalk`,
    dingtalkApi: `${url}/dingtalk/api`,
    feishu: `${url}/feishu`,
    wecom: `${url}/wecom`,
  };
}
