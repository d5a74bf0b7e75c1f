import type { HousekeepingConfig } from "../config/runtime";
import type { ChatCommand, ChatVerb } from "./commands";
import type { ChatSender } from "./types";

/** The config's `chat` section (present: chat is on). */
export type ChatConfig = NonNullable<HousekeepingConfig["chat"]>;

/** What a sender may do: operators everything, viewers only look. */
export type ChatRole = "operator" | "viewer";

/** The commands that only look: what a viewer may send. */
const VIEWER_VERBS: ReadonlySet<ChatVerb> = new Set(["help", "status", "plan", "history", "snoozes"]);

/**
 * The sender's role from the config: the platform's `operators` or `viewers` (an id in both is an
 * operator), and none when the platform has `rooms` and the message came from another room or from
 * no room at all (a direct message).
 */
export function roleOf(chat: ChatConfig | undefined, sender: ChatSender): ChatRole | undefined {
  const platform = chat?.[sender.platform];
  if (!platform) return undefined;
  if (platform.rooms && (sender.roomId === undefined || !platform.rooms.includes(sender.roomId)))
    return undefined;
  if (platform.operators.includes(sender.userId)) return "operator";
  if (platform.viewers.includes(sender.userId)) return "viewer";
  return undefined;
}

/**
 * Whether `role` may send `cmd`. A refusal never says who may: the list of operators is nobody's
 * business in a shared room.
 */
export function authorize(
  cmd: ChatCommand,
  role: ChatRole | undefined,
): { ok: true } | { ok: false; message: string } {
  if (role === "operator") return { ok: true };
  if (role === "viewer") {
    return VIEWER_VERBS.has(cmd.verb)
      ? { ok: true }
      : {
          ok: false,
          message: `'${cmd.verb.replace("-", " ")}' needs the operator role; viewers may use help, status, plan, history and snoozes`,
        };
  }
  return { ok: false, message: "You may not use qfhk commands here." };
}
