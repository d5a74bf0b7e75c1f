import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ACTIONS, findAction, routesOf } from "../qianfan/actions";
import type { Credentials } from "../qianfan/credentials";
import { type DroppedField, withoutDroppedFields } from "./answer-shape";
import { secretLookup, verifyAuthorization } from "./auth";
import { EmulatorClock } from "./clock";
import { EmulatorError } from "./errors";
import {
  type FaultAnswer,
  FaultInjector,
  type FaultKind,
  type FaultOptions,
  type FaultRule,
  spoilAnswer,
} from "./faults";
import { type Fleet, parseFleet } from "./fleet";
import { handleAction } from "./handlers";
import { EmulatorState } from "./state";

/** The key pair the emulator accepts when none is given. Not a secret: it opens only the emulator. */
export const DEMO_CREDENTIALS: Credentials = {
  accessKeyId: "qfhk-demo-ak-0000000000000000",
  secretAccessKey: "qfhk-demo-sk-not-a-secret-0000",
};

export interface EmulatorOptions {
  /** What the account holds at start; validated again here, so a hand-built object is checked too. */
  fleet: Fleet;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Key pairs the emulator accepts; default {@link DEMO_CREDENTIALS}. */
  credentials?: readonly Credentials[];
  /** Drives every state change; default follows the real clock. Signatures are checked on the real clock. */
  clock?: EmulatorClock;
  faults?: FaultOptions;
  /** Seed of the random faults, so a run can be repeated. */
  seed?: number;
  /** How long Creating, Releasing and Stopping last, in emulator-clock seconds (default 3). */
  transitionSeconds?: number;
  /** How long a purchase stays out of the listings, in emulator-clock seconds (default 0). */
  listingLagSeconds?: number;
  /** Fields left out of answers (see {@link DroppedField}); changeable with `setDroppedFields`. */
  dropFields?: readonly DroppedField[];
  /** Entries kept in `requestLog` (default 100,000); the oldest go first. */
  maxRequestLog?: number;
  /** Called with each finished log entry (the CLI prints them). */
  onRequest?: (entry: RequestLogEntry) => void;
}

/** One request as the emulator saw it. Never holds a header, an Authorization or a secret. */
export interface RequestLogEntry {
  seq: number;
  /** The emulator clock at arrival (ISO). */
  at: string;
  action: string;
  route: string;
  /** The parsed JSON body; undefined when it was not JSON. */
  body: unknown;
  /** 0 when no answer was sent (a reset or a hang). */
  status: number;
  code?: string;
  requestId: string;
  accessKeyId?: string;
  fault?: FaultKind;
  /** Wall-clock milliseconds until the answer (or the reset). */
  ms: number;
  /** What went wrong inside the emulator on a 500 that was not injected; never sent to the client. */
  internalError?: string;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`, to use as QIANFAN_CONSOLE_API_BASE_URL. */
  url: string;
  port: number;
  clock: EmulatorClock;
  /** The emulated account, for tests to inspect. */
  state: EmulatorState;
  requestLog: RequestLogEntry[];
  /** Changes some fault options; the others stay. */
  setFaults(faults: FaultOptions): void;
  injectFault(rule: FaultRule): void;
  /** Replaces the fields left out of answers. */
  setDroppedFields(fields: readonly DroppedField[]): void;
  resetLog(): void;
  close(): Promise<void>;
}

const ROUTES = new Set<string>(Object.values(ACTIONS).map((a) => a.route));
const MAX_BODY_BYTES = 1024 * 1024;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a local Qianfan console over HTTP (every action of lib/qianfan/actions, bce-auth-v1 checked). */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const clock = options.clock ?? new EmulatorClock();
  const state = new EmulatorState(parseFleet(options.fleet), clock, (options.transitionSeconds ?? 3) * 1000);
  state.listingLagMs = (options.listingLagSeconds ?? 0) * 1000;
  const lookupSecret = secretLookup(options.credentials ?? [DEMO_CREDENTIALS]);
  const faults = new FaultInjector(options.faults, options.seed);
  const maxLog = options.maxRequestLog ?? 100_000;
  const requestLog: RequestLogEntry[] = [];
  let dropFields = [...(options.dropFields ?? [])];
  let seq = 0;

  const record = (entry: RequestLogEntry, started: number) => {
    entry.ms = Math.round(performance.now() - started);
    requestLog.push(entry);
    if (requestLog.length > maxLog) requestLog.splice(0, requestLog.length - maxLog);
    options.onRequest?.(entry);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = randomUUID();
    const target = splitTarget(req.url ?? "/");
    const action = target.query.Action ?? "";
    const entry: RequestLogEntry = {
      seq: ++seq,
      at: clock.now().toISOString(),
      action,
      route: target.path,
      body: undefined,
      status: 0,
      requestId,
      ms: 0,
    };

    const answer = (
      status: number,
      body: unknown,
      headers: Record<string, string> = {},
      text = JSON.stringify(body),
    ) => {
      entry.status = status;
      record(entry, started);
      const bytes = Buffer.from(text);
      res.writeHead(status, {
        "content-type": "application/json; charset=utf-8",
        "content-length": bytes.length,
        "x-bce-request-id": requestId,
        // The wall clock signatures are checked on (Date.now), not Node's own: a client measuring
        // its skew against this header compares it with the clock the emulator actually uses.
        date: new Date().toUTCString(),
        ...headers,
      });
      writeInPieces(res, bytes);
    };
    const refuse = (status: number, code: string, message: string, headers?: Record<string, string>) => {
      entry.code = code;
      // Qianfan's numeric codes (18, 336100, …) come as {error_code, error_msg}; BCE's named ones as {code, message}.
      const body = /^\d+$/.test(code)
        ? { requestId, error_code: Number(code), error_msg: message }
        : { requestId, code, message };
      answer(status, body, headers);
    };
    const refuseWithFault = (fault: FaultAnswer) => {
      entry.fault = fault.fault;
      const retryAfter = fault.retryAfterHeader ?? fault.retryAfterSeconds;
      refuse(
        fault.status,
        fault.code,
        fault.message,
        retryAfter !== undefined ? { "retry-after": String(retryAfter) } : {},
      );
    };
    const dropConnection = (fault: FaultKind) => {
      entry.fault = fault;
      entry.code = "ConnectionReset";
      record(entry, started);
      req.socket.destroy();
    };

    const raw = await readBody(req);
    if (raw === undefined) return refuse(413, "RequestEntityTooLarge", "The request body is too large.");
    const body = parseJson(raw);
    entry.body = body.ok ? body.value : undefined;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);

    if (req.method !== "POST") {
      return refuse(405, "MethodNotAllowed", `The console API takes POST, not ${req.method}.`, {
        allow: "POST",
      });
    }
    if (!ROUTES.has(target.decodedPath)) {
      return refuse(404, "NotFound", `No console API is served at ${target.path}.`);
    }
    const throttled = faults.throttle(Date.now());
    if (throttled) return refuseWithFault(throttled);

    const auth = verifyAuthorization({
      method: req.method,
      rawPath: target.path,
      query: target.query,
      headers: flattenHeaders(req),
      lookupSecret,
      nowMs: Date.now(),
    });
    entry.accessKeyId = auth.accessKeyId;
    if (!auth.ok) return refuse(auth.status, auth.code, auth.message);

    const key = findAction(target.decodedPath, action);
    if (key === undefined) {
      const routes = routesOf(action);
      const hint = routes.length > 0 ? ` at ${target.decodedPath}; it is served at ${routes.join(", ")}` : "";
      return refuse(400, "InvalidAction", `The Action '${action}' does not exist${hint}.`);
    }
    if (!body.ok) return refuse(400, "MalformedJSON", "The request body is not valid JSON.");

    const plan = faults.plan(key);
    if (plan.kind === "answer") return refuseWithFault(plan.answer);
    if (plan.kind === "reset") return dropConnection(plan.fault);

    let result: unknown;
    try {
      result = handleAction(state, key, body.value);
    } catch (error) {
      if (error instanceof EmulatorError) return refuse(error.status, error.code, error.message);
      entry.internalError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return refuse(500, "InternalError", "We encountered an internal error. Please try again.");
    }

    const after = plan.after;
    if (after?.fault === "reset-after-apply") return dropConnection(after.fault);
    if (after?.fault === "status-after-apply") return refuseWithFault(after.answer);
    if (after?.fault === "empty-result-after-apply") {
      entry.fault = after.fault;
      return answer(200, { requestId, result: {} });
    }
    if (after?.fault === "hang-after-apply") {
      // Applied but never answered: the client times out and the socket closes with the emulator.
      entry.fault = after.fault;
      return record(entry, started);
    }
    if (after && "rule" in after) {
      const marker = (body.value as { marker?: unknown } | null)?.marker;
      const shaped = { requestId, result: withoutDroppedFields(result, key, dropFields) };
      const text = spoilAnswer(
        after.fault,
        after.rule,
        shaped,
        typeof marker === "string" ? marker : undefined,
      );
      // Logged as a fault only when it changed the answer (no list to empty, no paging to loop).
      if (text !== JSON.stringify(shaped)) entry.fault = after.fault;
      return answer(200, undefined, {}, text);
    }
    if (after?.fault === "slow") {
      entry.fault = "slow";
      await sleep(after.ms);
      if (req.socket.destroyed) {
        entry.code = "ClientGone";
        return record(entry, started);
      }
    }
    answer(200, { requestId, result: withoutDroppedFields(result, key, dropFields) });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    clock,
    state,
    requestLog,
    setFaults: (next) => faults.update(next),
    injectFault: (rule) => faults.addRule(rule),
    setDroppedFields: (fields) => {
      dropFields = [...fields];
    },
    resetLog: () => {
      requestLog.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The path as sent (still percent-encoded, as it was signed), its decoded form, and the query. */
function splitTarget(url: string): { path: string; decodedPath: string; query: Record<string, string> } {
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(q < 0 ? "" : url.slice(q + 1))) query[key] = value;
  let decodedPath = path;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    // Not valid percent-encoding: no route matches it, and the 404 says so.
  }
  return { path, decodedPath, query };
}

function flattenHeaders(req: IncomingMessage): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = Array.isArray(value) ? value.join(",") : value;
  }
  return headers;
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  if (raw.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/** The body as text, or undefined when it is larger than the emulator takes. */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** How much of an answer is written in one turn of the event loop. */
const PIECE_BYTES = 64 * 1024;

/**
 * Writes an answer and ends it, a piece per turn of the event loop when it is large: a listing of
 * 50k units is megabytes, and written at once it would hold every other request back for tens of
 * milliseconds — they would then all meet the rate limit at once, as no gateway makes them.
 */
function writeInPieces(res: ServerResponse, bytes: Buffer): void {
  if (bytes.length <= PIECE_BYTES) {
    res.end(bytes);
    return;
  }
  let at = 0;
  const next = () => {
    if (res.destroyed) return;
    const piece = bytes.subarray(at, at + PIECE_BYTES);
    at += piece.length;
    if (at >= bytes.length) res.end(piece);
    else if (res.write(piece)) setImmediate(next);
    else res.once("drain", next);
  };
  next();
}
