import { parseArgs } from "node:util";
import { type LocalExchange, startLocalChat } from "../chat/local-session";
import { checkRepliesUrl } from "../chat/outbound/replies-url";
import { chatSecretsFromJson } from "../chat/secrets";
import { CHAT_PLATFORMS, type ChatPlatform } from "../chat/types";
import { type HousekeepingConfig, loadConfig, readEnv } from "../config";
import { type Clock, systemClock } from "../engine/clock";
import { resolveConfigPath } from "./config-path";
import { connectQianfan } from "./connect";
import { type CliIo, UsageError } from "./io";
import { offlineSessionPath, readOfflineSession } from "./offline-session";
import { openStore } from "./state";

const USAGE = `usage: qfhk chat <${CHAT_PLATFORMS.join("|")}> "<command>" [--user U] [--room R] [--json] [--offline | --url URL] [--wait SECONDS] [--mention]`;

/** The people of the built-in demo: on the built-in emulator with no chat section, these may chat. */
export const DEMO_OPERATOR = "local-operator";
export const DEMO_VIEWER = "local-viewer";

/**
 * `qfhk chat <platform> "<command>"`: sends the command as that platform would — signed with fresh
 * local secrets — to a local webhook whose worker runs here, then prints the immediate answer and
 * the reply the platform would have received (captured by a local stand-in for its reply routes).
 * Confirmations and de-duplication live in the same state store as `qfhk run`, so `confirm <code>`
 * works in a later call. With `--offline` (or `--url`) it sends to the webhook `qfhk offline`
 * serves instead and waits, bounded by `--wait`, for the worker's reply at a stand-in on the port
 * the functions reply to.
 */
export async function runChatCommand(
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      user: { type: "string", default: DEMO_OPERATOR },
      room: { type: "string" },
      config: { type: "string" },
      state: { type: "string" },
      json: { type: "boolean", default: false },
      offline: { type: "boolean", default: false },
      url: { type: "string" },
      wait: { type: "string", default: "30" },
      // Slack: send as an @mention in a channel rather than the slash command.
      mention: { type: "boolean", default: false },
    },
  });
  const [platformName, text, ...extra] = positionals;
  const platform = CHAT_PLATFORMS.find((p) => p === platformName);
  if (!platform || text === undefined || extra.length > 0) throw new UsageError(USAGE);
  if (values.mention && platform !== "slack") throw new UsageError("--mention: only for slack (an @mention)");
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  if (values.offline || values.url !== undefined) {
    const waitS = Number(values.wait);
    if (!Number.isFinite(waitS) || waitS <= 0 || waitS > 600) {
      throw new UsageError(`--wait: expected seconds between 0 and 600, got '${values.wait}'`);
    }
    const target = await remoteTarget(loaded.statePath, values.url, env);
    const { connectRemoteChat } = await import("../chat/remote-session");
    const chat = await connectRemoteChat({ ...target, clock, replyTimeoutMs: waitS * 1000 });
    try {
      if (!values.json)
        io.stderr(`Sending to ${target.webhookUrl}/${platform}; replies at ${target.repliesUrl}.`);
      const exchange = await chat.send(platform, text, {
        user: values.user,
        room: values.room,
        mention: values.mention,
      });
      const planned = /confirm \d{6}\b|confirm:[A-Za-z0-9_-]{16,}/.test(JSON.stringify(exchange.replies));
      printExchange(io, platform, exchange, {
        json: values.json,
        planned,
        user: values.user,
        room: values.room,
      });
      if (exchange.noReply && !values.json) io.stderr(`No reply arrived within ${waitS} s.`);
      return exchange.answer.status === 200 && !exchange.noReply ? 0 : 1;
    } finally {
      await chat.close();
    }
  }
  const connection = await connectQianfan({
    env,
    baseUrl: loaded.config.qianfan.baseUrl,
    qianfan: loaded.config.qianfan,
  });
  try {
    const config = withChat(loaded.config, connection.emulated);
    const opened = await openStore(loaded, env, {
      builtInEmulator: connection.emulated,
      stateFile: values.state,
      clock,
    });
    if (!values.json) io.stderr(`Using ${connection.target}; state: ${opened.description}.`);
    const chat = await startLocalChat({
      config,
      api: connection.api,
      store: opened.store,
      clock,
      target: connection.emulated ? "the built-in emulator" : connection.target,
      // As `qfhk run`: the emulator is acted on, a real endpoint only when the config says so.
      stageDryRun: loaded.config.dryRun ?? !connection.emulated,
    });
    try {
      const exchange = await chat.send(platform, text, {
        user: values.user,
        room: values.room,
        mention: values.mention,
      });
      printExchange(io, platform, exchange, {
        json: values.json,
        planned: exchange.outcome === "planned",
        user: values.user,
        room: values.room,
      });
      return exchange.answer.status === 200 && exchange.outcome !== "failed" ? 0 : 1;
    } finally {
      await chat.close();
    }
  } finally {
    await connection.close();
  }
}

/** Prints the webhook's answer and the replies, as JSON or for a person. */
function printExchange(
  io: CliIo,
  platform: ChatPlatform,
  exchange: LocalExchange,
  options: { json: boolean; planned: boolean; user: string; room?: string },
): void {
  if (options.json) {
    io.stdout(JSON.stringify(exchange, null, 2));
    return;
  }
  io.stdout(
    `${platform} webhook answered ${exchange.answer.status}${exchange.answer.body ? `: ${exchange.answer.body}` : ""}`,
  );
  for (const reply of exchange.replies) {
    io.stdout(`reply (${reply.route}):\n${JSON.stringify(reply.body, null, 2)}`);
  }
  if (options.planned) {
    const room = options.room ? ` --room ${options.room}` : "";
    io.stdout(`to confirm: qfhk chat ${platform} "confirm <code>" --user ${options.user}${room}`);
  }
}

/**
 * Where `--offline` or `--url` sends: the session file of `qfhk offline` (beside the state file),
 * or a webhook given by URL, signed with QFHK_CHAT_SECRETS and replying to QFHK_CHAT_REPLIES_URL.
 * Only webhooks on this machine: the request is signed with real secrets.
 */
async function remoteTarget(
  statePath: string,
  url: string | undefined,
  env: Record<string, string | undefined>,
) {
  const vars = readEnv(env);
  const fromEnv = url !== undefined && vars.QFHK_CHAT_SECRETS && vars.QFHK_CHAT_REPLIES_URL;
  const session = fromEnv
    ? {
        webhookUrl: url,
        repliesUrl: vars.QFHK_CHAT_REPLIES_URL!,
        secrets: chatSecretsFromJson(vars.QFHK_CHAT_SECRETS, "QFHK_CHAT_SECRETS"),
      }
    : await readOfflineSession(offlineSessionPath(statePath));
  const webhookUrl = url ?? session.webhookUrl;
  let parsed: URL;
  try {
    parsed = new URL(webhookUrl);
  } catch {
    throw new UsageError(`--url: '${webhookUrl}' is not a URL`);
  }
  if (!["127.0.0.1", "localhost", "[::1]"].includes(parsed.hostname)) {
    throw new UsageError(
      `--url: must be a webhook on this machine (127.0.0.1 or localhost), got ${parsed.host}`,
    );
  }
  const repliesUrl = checkRepliesUrl(session.repliesUrl, "the replies URL");
  return {
    webhookUrl: webhookUrl.replace(/\/+$/, ""),
    repliesUrl: repliesUrl.origin,
    repliesPort: Number(repliesUrl.port || 80),
    secrets: session.secrets,
  };
}

/**
 * The config's chat section; on the built-in emulator without one, a demo section in which
 * `local-operator` may do everything and `local-viewer` may look, on every platform.
 */
function withChat(config: HousekeepingConfig, emulated: boolean): HousekeepingConfig {
  if (config.chat) return config;
  if (!emulated) {
    throw new UsageError(
      "the config has no chat section: list each platform's operators and viewers under chat:",
    );
  }
  const people = { operators: [DEMO_OPERATOR], viewers: [DEMO_VIEWER] };
  const platforms = Object.fromEntries(CHAT_PLATFORMS.map((p: ChatPlatform) => [p, people]));
  return {
    ...config,
    chat: { confirmationTtl: 5 * 60_000, dedupTtl: 24 * 3_600_000, maxBodyBytes: 64 * 1024, ...platforms },
  } as HousekeepingConfig;
}
