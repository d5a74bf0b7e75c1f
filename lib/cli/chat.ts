import { parseArgs } from "node:util";
import { startLocalChat } from "../chat/local-session";
import { CHAT_PLATFORMS, type ChatPlatform } from "../chat/types";
import { type HousekeepingConfig, loadConfig } from "../config";
import { type Clock, systemClock } from "../engine/clock";
import { resolveConfigPath } from "./config-path";
import { connectQianfan } from "./connect";
import { type CliIo, UsageError } from "./io";
import { openStore } from "./state";

const USAGE = `usage: qfhk chat <${CHAT_PLATFORMS.join("|")}> "<command>" [--user U] [--room R] [--json]`;

/** The people of the built-in demo: on the built-in emulator with no chat section, these may chat. */
export const DEMO_OPERATOR = "local-operator";
export const DEMO_VIEWER = "local-viewer";

/**
 * `qfhk chat <platform> "<command>"`: sends the command as that platform would — signed with fresh
 * local secrets — to a local webhook whose worker runs here, then prints the immediate answer and
 * the reply the platform would have received (captured by a local stand-in for its reply routes).
 * Confirmations and de-duplication live in the same state store as `qfhk run`, so `confirm <code>`
 * works in a later call.
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
    },
  });
  const [platformName, text, ...extra] = positionals;
  const platform = CHAT_PLATFORMS.find((p) => p === platformName);
  if (!platform || text === undefined || extra.length > 0) throw new UsageError(USAGE);
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  const connection = await connectQianfan({ env, baseUrl: loaded.config.qianfan.baseUrl });
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
      const exchange = await chat.send(platform, text, { user: values.user, room: values.room });
      if (values.json) {
        io.stdout(JSON.stringify(exchange, null, 2));
      } else {
        io.stdout(
          `${platform} webhook answered ${exchange.answer.status}${exchange.answer.body ? `: ${exchange.answer.body}` : ""}`,
        );
        for (const reply of exchange.replies) {
          io.stdout(`reply (${reply.route}):\n${JSON.stringify(reply.body, null, 2)}`);
        }
        if (exchange.outcome === "planned") {
          const room = values.room ? ` --room ${values.room}` : "";
          io.stdout(`to confirm: qfhk chat ${platform} "confirm <code>" --user ${values.user}${room}`);
        }
      }
      return exchange.answer.status === 200 && exchange.outcome !== "failed" ? 0 : 1;
    } finally {
      await chat.close();
    }
  } finally {
    await connection.close();
  }
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
