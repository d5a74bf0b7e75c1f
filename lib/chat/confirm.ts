import { randomBytes, randomInt, randomUUID } from "node:crypto";
import type { StateStore } from "../state";
import { type ChatCommand, commandText, parseCommand } from "./commands";
import type { ChatSender } from "./types";

/** Where pending confirmations live, by id. */
export const CONFIRMATION_NAMESPACE = "chat-confirm";
/** One-time codes, by platform, user and code: a code means something only to the person it was given to. */
const CODE_NAMESPACE = "chat-confirm-code";
/** A confirmation is kept this long past its expiry, so a late press is told "expired", not "unknown". */
const KEPT_AFTER_EXPIRY_MS = 3_600_000;
/** Tries for a code the sender has no other pending confirmation under (a clash is one in a million). */
const CODE_TRIES = 10;

const ID = /^[A-Za-z0-9_-]{22}$/;
const CODE = /^\d{6}$/;

/** A confirmation as the store keeps it: plain JSON, the command as its canonical text. */
interface StoredConfirmation {
  id: string;
  code: string;
  platform: ChatSender["platform"];
  userId: string;
  roomId?: string;
  command: string;
  expiresAt: string;
}

/** A confirmation just asked for: the id for a button, the code to type, and when it lapses (ISO). */
export interface Confirmation {
  id: string;
  code: string;
  expiresAt: string;
}

/** A confirmation could not be created (the store kept clashing codes). */
export class ConfirmationError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "ConfirmationError";
  override name = "ConfirmationError";
}

const codeKey = (sender: ChatSender, code: string) => `${sender.platform}:${sender.userId}:${code}`;

/**
 * Records that `command` waits for `sender` to confirm it, within `ttlMs` of `now`, from the same
 * platform, user and room. The id is 128 random bits (base64url); the code is 6 random digits for
 * platforms without buttons (`confirm <code>`).
 */
export async function createConfirmation(
  store: StateStore,
  request: { sender: ChatSender; command: ChatCommand; now: Date; ttlMs: number },
): Promise<Confirmation> {
  const { sender, command, now, ttlMs } = request;
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`not a confirmation lifetime: ${ttlMs}`);
  const expiresAt = new Date(now.getTime() + ttlMs);
  const keepUntil = new Date(expiresAt.getTime() + KEPT_AFTER_EXPIRY_MS);
  const id = randomBytes(16).toString("base64url");
  const code = await freeCode(store, sender);
  const stored: StoredConfirmation = {
    id,
    code,
    platform: sender.platform,
    userId: sender.userId,
    ...(sender.roomId !== undefined ? { roomId: sender.roomId } : {}),
    command: commandText(command),
    expiresAt: expiresAt.toISOString(),
  };
  await store.put(CONFIRMATION_NAMESPACE, id, stored, { expiresAt: keepUntil });
  await store.put(CODE_NAMESPACE, codeKey(sender, code), { id }, { expiresAt: keepUntil });
  return { id, code, expiresAt: stored.expiresAt };
}

async function freeCode(store: StateStore, sender: ChatSender): Promise<string> {
  for (let i = 0; i < CODE_TRIES; i += 1) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
    if ((await store.get(CODE_NAMESPACE, codeKey(sender, code))) === undefined) return code;
  }
  throw new ConfirmationError(`no free confirmation code after ${CODE_TRIES} tries`);
}

/**
 * Uses a confirmation once: by its id (a button) or its code (typed), only by the user who asked,
 * in the room they asked in, before it expires. Two presses at once cannot both win: the first use
 * takes the lock `chat-confirm:<id>` for as long as the confirmation is kept.
 */
export async function consumeConfirmation(
  store: StateStore,
  request: { idOrCode: string; sender: ChatSender; now: Date },
): Promise<{ ok: true; command: ChatCommand } | { ok: false; message: string }> {
  const { sender, now } = request;
  const given = request.idOrCode.trim();
  let id: string;
  if (CODE.test(given)) {
    const ref = await store.get<{ id: string }>(CODE_NAMESPACE, codeKey(sender, given));
    if (!ref) {
      return {
        ok: false,
        message: `No confirmation with code ${given} is waiting for you; send the command again.`,
      };
    }
    id = ref.id;
  } else if (ID.test(given)) {
    id = given;
  } else {
    return { ok: false, message: "That is no confirmation code; it has 6 digits." };
  }

  const stored = await store.get<StoredConfirmation>(CONFIRMATION_NAMESPACE, id);
  if (!stored)
    return { ok: false, message: "That confirmation is unknown or long expired; send the command again." };
  if (stored.platform !== sender.platform || stored.userId !== sender.userId) {
    return {
      ok: false,
      message: "That confirmation is someone else's: only the person who sent the command may confirm it.",
    };
  }
  if ((stored.roomId ?? null) !== (sender.roomId ?? null)) {
    return { ok: false, message: "Confirm in the room where you sent the command." };
  }

  const expiresAt = Date.parse(stored.expiresAt);
  const leaseMs = Math.max(1, expiresAt + KEPT_AFTER_EXPIRY_MS - now.getTime());
  // A fresh owner each time: a lock's owner may take it again, and no second use may.
  const lock = await store.acquireLock(`chat-confirm:${id}`, `confirm:${randomUUID()}`, leaseMs, now);
  if (!lock.acquired) return { ok: false, message: "That confirmation was already used." };
  if (!(now.getTime() < expiresAt)) {
    return {
      ok: false,
      message: `That confirmation expired at ${stored.expiresAt}; send the command again.`,
    };
  }

  const parsed = parseCommand(stored.command);
  if (!parsed.ok) {
    // Written by another version whose grammar this one no longer reads.
    return { ok: false, message: "That confirmation can no longer be carried out; send the command again." };
  }
  return { ok: true, command: parsed.command };
}
