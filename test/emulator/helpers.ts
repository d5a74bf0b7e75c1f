import {
  DEMO_CREDENTIALS,
  EmulatorClock,
  type EmulatorOptions,
  type Fleet,
  type RunningEmulator,
  startEmulator,
} from "../../lib/emulator";
import { ACTIONS, type ActionName } from "../../lib/qianfan/actions";
import { formatBceTimestamp, signRequest } from "../../lib/qianfan/signer";
import type * as z from "../../lib/validation";

export { postpaidUnit as unit, task } from "../support/emulator";

/** The frozen emulator clock of these tests. */
export const T0 = new Date("2026-11-23T02:00:00Z");

/** Starts an emulator on 127.0.0.1 with its clock frozen at T0 and 3 s transitions. */
export function startAt(fleet: Fleet, options: Partial<EmulatorOptions> = {}): Promise<RunningEmulator> {
  return startEmulator({
    fleet,
    port: 0,
    clock: new EmulatorClock(T0, { frozen: true }),
    transitionSeconds: 3,
    ...options,
  });
}

export interface CallOptions {
  /** Default: the action's own route. */
  route?: string;
  method?: string;
  accessKeyId?: string;
  secret?: string;
  /** The signing instant (real clock by default). */
  signedAt?: Date;
  expirationSeconds?: number;
  /** The host to sign (default: the one the request goes to). */
  signedHost?: string;
  /** Leave the signed-header list empty: the server then assumes the default set plus x-bce-*. */
  omitSignedHeaderList?: boolean;
  /** Changes the request after it was signed. */
  tamper?: (request: { path: string; headers: Record<string, string> }) => void;
  /** Sends this text as the body instead of JSON.stringify(body). */
  rawBody?: string;
  signal?: AbortSignal;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: {
    requestId?: string;
    code?: string;
    message?: string;
    error_code?: number;
    error_msg?: string;
    result?: unknown;
  };
}

/** Sends one console request signed with bce-auth-v1 by the project's signer, over real HTTP. */
export async function call(
  emulator: RunningEmulator,
  action: string,
  body: unknown = {},
  options: CallOptions = {},
): Promise<Answer> {
  const spec = Object.hasOwn(ACTIONS, action) ? ACTIONS[action as ActionName] : undefined;
  const route = options.route ?? spec?.route ?? "/v2/computeunit";
  const url = new URL(`${route}?Action=${encodeURIComponent(spec?.action ?? action)}`, emulator.url);
  const payload = options.rawBody ?? JSON.stringify(body);
  const signedAt = options.signedAt ?? new Date();
  const headers: Record<string, string> = {
    host: options.signedHost ?? url.host,
    "content-type": "application/json",
    "content-length": String(Buffer.byteLength(payload)),
    "x-bce-date": formatBceTimestamp(signedAt),
  };
  const { authorization } = signRequest({
    accessKeyId: options.accessKeyId ?? DEMO_CREDENTIALS.accessKeyId,
    secretAccessKey: options.secret ?? DEMO_CREDENTIALS.secretAccessKey,
    method: options.method ?? "POST",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers,
    timestamp: signedAt,
    expirationSeconds: options.expirationSeconds,
    omitSignedHeaderList: options.omitSignedHeaderList,
  });
  const request: { path: string; headers: Record<string, string> } = {
    path: `${url.pathname}${url.search}`,
    headers: { ...headers, authorization },
  };
  options.tamper?.(request);
  // fetch sets Host and Content-Length itself; they carry the values that were signed unless tampered.
  const { host: _host, "content-length": _length, ...sent } = request.headers;
  const res = await fetch(new URL(request.path, emulator.url), {
    method: options.method ?? "POST",
    headers: sent,
    ...(options.method === "GET" ? {} : { body: payload }),
    signal: options.signal,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : {} };
}

/** Calls an action that must succeed and returns its result, parsed with the client's schema. */
export async function ok<S extends z.ZodMiniType>(
  emulator: RunningEmulator,
  action: ActionName,
  body: unknown,
  schema: S,
): Promise<z.output<S>> {
  const answer = await call(emulator, action, body);
  if (answer.status !== 200) {
    throw new Error(`${action} answered ${answer.status} ${answer.body.code}: ${answer.body.message}`);
  }
  return schema.parse(answer.body.result);
}

export const service = (
  serviceId: string,
  deployments: { instanceId: string; replicas: number; computeUnitsPerReplica?: number }[],
  over: Record<string, unknown> = {},
) => ({
  serviceId,
  name: serviceId,
  createTime: "2026-11-01T00:00:00Z",
  updateTime: "2026-11-02T00:00:00Z",
  deployments,
  ...over,
});

/** The ids of a listing, for compact assertions. */
export const idsOf = <T>(items: T[], key: keyof T) => items.map((item) => String(item[key]));
