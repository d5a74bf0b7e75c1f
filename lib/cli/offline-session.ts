import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { parseChatSecrets } from "../chat/secrets";
import type { ChatSecrets } from "../chat/types";
import { UsageError } from "./io";

/** What `qfhk offline` leaves for `qfhk chat --offline`: where to send, where replies arrive, how to sign. */
export interface OfflineSessionFile {
  webhookUrl: string;
  repliesUrl: string;
  secrets: ChatSecrets;
}

/** Where `qfhk offline` keeps its session file, beside the config's state file. */
export function offlineSessionPath(statePath: string): string {
  return join(dirname(statePath), "chat-offline.json");
}

/** Reads the session file of a running `qfhk offline`; a missing or broken one says how to start it. */
export async function readOfflineSession(path: string): Promise<OfflineSessionFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UsageError(`${path}: no session of \`qfhk offline\` found; start it first (npx qfhk offline)`);
  }
  let value: Partial<OfflineSessionFile>;
  try {
    value = JSON.parse(text) as Partial<OfflineSessionFile>;
  } catch {
    throw new UsageError(`${path}: is not JSON; start \`qfhk offline\` again`);
  }
  for (const field of ["webhookUrl", "repliesUrl"] as const) {
    if (typeof value[field] !== "string" || !value[field]) {
      throw new UsageError(`${path}: ${field} is missing; start \`qfhk offline\` again`);
    }
  }
  return {
    webhookUrl: value.webhookUrl!,
    repliesUrl: value.repliesUrl!,
    secrets: parseChatSecrets(value.secrets, path),
  };
}
