import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ACTIONS, type ActionName, isActionName } from "../qianfan/actions";
import type { Credentials } from "../qianfan/credentials";
import { secretLookup, verifyAuthorization } from "./auth";
import { EmulatorClock } from "./clock";
import { type FaultKind, type FaultOptions, type FaultRule, RollingWindow, seededRandom } from "./faults";
import type { ParsedFleet } from "./fleet";
import { handleAction } from "./handlers";
import { EmulatorError, EmulatorState } from "./state";

/** The key pair the emulator accepts when none is given. Not a secret: it only opens the emulator. */
export const DEMO_CREDENTIALS: Credentials = {
  accessKeyId: "qfhk-demo-ak-0000000000000000",
  secretAccessKey: "qfhk-demo-sk-not-a-secret-0000",
};

export interface EmulatorOptions {
  fleet: ParsedFleet;
  port?: number;
  host?: string;
  credentials?: readonly Credentials[];
  clock?: EmulatorClock;
  faults?: FaultOptions;
  /** How long Creating, Releasing, Stopping last, in emulator-clock seconds. */
  transitionSeconds?: number;
  seed?: number;
  maxRequestLog?: number;
  onRequest?: (entry: RequestLogEntry) => void;
}

/** One request as the emulator saw it. Never holds a header or a key's secret. */
export interface RequestLogEntry {
  seq: number;
  /** The emulator clock at arrival. */
  at: string;
  action: string;
  route: string;
  body: unknown;
  status: number;
  code?: string;
  requestId: string;
  accessKeyId?: string;
  fault?: FaultKind;
  ms: number;
}

export interface RunningEmulator {
  url: string;
  port: number;
  clock: EmulatorClock;
  state: EmulatorState;
  requestLog: RequestLogEntry[];
  setFaults(faults: FaultOptions): void;
  injectFault(rule: FaultRule): void;
  resetLog(): void;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts a local Qianfan console on 127.0.0.1 (port 0 picks a free one). */
export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const clock = options.clock ?? new EmulatorClock();
  const state = new EmulatorState(options.fleet, clock, (options.transitionSeconds ?? 3) * 1000);
  const lookup = secretLookup(options.credentials ?? [DEMO_CREDENTIALS]);
  const random = seededRandom(options.seed ?? 20261123);
  const window = new RollingWindow();
  const maxLog = options.maxRequestLog ?? 100_000;
  let faults: FaultOptions = { ...options.faults };
  const rules: FaultRule[] = [];
  const requestLog: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  let seq = 0;

  const takeRule = (action: string): FaultRule | undefined => {
    const rule = rules.find((r) => r.times > 0 && (!r.action || r.action === action));
    if (!rule) return undefined;
    if (rule.skip) {
      rule.skip -= 1;
      return undefined;
    }
    rule.times -= 1;
    return rule;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const requestId = randomUUID();
    const url = new URL(req.url ?? "/", "http://emulator");
    const action = url.searchParams.get("Action") ?? "";
    const entry: RequestLogEntry = {
      seq: ++seq,
      at: clock.now().toISOString(),
      action,
      route: url.pathname,
      body: undefined,
      status: 0,
      requestId,
      ms: 0,
    };
    const finish = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      entry.status = status;
      entry.ms = Math.round(performance.now() - started);
      record(entry);
      const text = JSON.stringify(body);
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        "x-bce-request-id": requestId,
        ...headers,
      });
      res.end(text);
    };
    const fail = (status: number, code: string, message: string, headers?: Record<string, string>) => {
      entry.code = code;
      finish(status, { requestId, code, message }, headers);
    };
    const reset = (kind: FaultKind) => {
      entry.fault = kind;
      entry.status = 0;
      entry.code = "ConnectionReset";
      entry.ms = Math.round(performance.now() - started);
      record(entry);
      req.socket.destroy();
    };

    const raw = await readBody(req);
    if (faults.latencyMs) await sleep(faults.latencyMs);
    if (req.method !== "POST") return fail(405, "MethodNotAllowed", `use POST, not ${req.method}`);
    if (!isActionName(action)) return fail(400, "InvalidAction", `unknown Action '${action}'`);
    if (ACTIONS[action].route !== url.pathname) {
      return fail(
        404,
        "NotFound",
        `Action ${action} is served at ${ACTIONS[action].route}, not ${url.pathname}`,
      );
    }
    if (faults.qps) {
      const admitted = window.admit(Date.now(), faults.qps);
      if (!admitted.admitted) {
        entry.fault = "qps-limit";
        return fail(429, "RequestLimitExceeded", "Request rate limit exceeded.", {
          "retry-after": String(Math.max(1, Math.ceil(admitted.retryAfterMs / 1000))),
        });
      }
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(",") : v;
    const auth = verifyAuthorization({
      method: req.method,
      rawPath: url.pathname,
      query,
      headers,
      lookupSecret: lookup,
      nowMs: Date.now(),
    });
    entry.accessKeyId = auth.ok ? auth.accessKeyId : auth.accessKeyId;
    if (!auth.ok) return fail(auth.status, auth.code, auth.message);
    let body: unknown;
    try {
      body = raw.length === 0 ? {} : JSON.parse(raw);
    } catch {
      return fail(400, "MalformedJSON", "The request body is not valid JSON.");
    }
    entry.body = body;

    const rule = takeRule(action);
    if (rule?.kind === "reset-before") return reset(rule.kind);
    if (rule?.kind === "status") {
      entry.fault = "status";
      return fail(rule.status ?? 500, rule.code ?? "InternalError", "Injected fault.");
    }
    if (faults.resetRate && random() < faults.resetRate) return reset("reset");
    if (faults.rateLimit429Rate && random() < faults.rateLimit429Rate) {
      entry.fault = "rate-limit";
      return fail(429, "RequestLimitExceeded", "Request rate limit exceeded.");
    }
    if (faults.failRate && random() < faults.failRate) {
      entry.fault = "error";
      return random() < 0.5
        ? fail(500, "InternalError", "We encountered an internal error. Please try again.")
        : fail(503, "ServiceUnavailable", "Service is temporarily unavailable.");
    }

    let result: unknown;
    try {
      result = handleAction(state, action as ActionName, body);
    } catch (error) {
      if (error instanceof EmulatorError) return fail(error.status, error.code, error.message);
      return fail(500, "InternalError", "The emulator failed to handle the request.");
    }
    if (rule?.kind === "reset-after-apply") return reset(rule.kind);
    if (rule?.kind === "hang-after-apply") {
      entry.fault = rule.kind;
      entry.status = 0;
      record(entry);
      return;
    }
    if (faults.slowRate && random() < faults.slowRate) {
      entry.fault = "slow";
      await sleep(faults.slowMs ?? 30_000);
      if (req.socket.destroyed) {
        entry.code = "ClientGone";
        entry.ms = Math.round(performance.now() - started);
        return record(entry);
      }
    }
    finish(200, { requestId, result });
  };

  const record = (entry: RequestLogEntry) => {
    requestLog.push(entry);
    if (requestLog.length > maxLog) requestLog.splice(0, requestLog.length - maxLog);
    options.onRequest?.(entry);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5000;
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? "127.0.0.1";
  return {
    url: `http://${host}:${port}`,
    port,
    clock,
    state,
    requestLog,
    setFaults: (next) => {
      faults = { ...faults, ...next };
    },
    injectFault: (rule) => {
      rules.push({ ...rule });
    },
    resetLog: () => {
      requestLog.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
