import fc from "fast-check";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseDoctorEvent, parseJobEvent } from "../../lib/app/lambda";
import { localChatSecrets } from "../../lib/chat/local-session";
import { CHAT_PLATFORMS } from "../../lib/chat/types";
import { handleChatWebhook } from "../../lib/chat/webhook";
import { ConfigError, parseConfig } from "../../lib/config";
import { EMPTY_CALENDAR, isActive, parseSchedule, ScheduleSyntaxError } from "../../lib/schedule";
import { MemoryStateStore } from "../../lib/state";
import { fuzz } from "./runs";

/** A small config touching every section, so 10,000 cases stay cheap (YAML is most of the cost). */
const EXAMPLE = [
  "version: 1",
  "timezone: Asia/Shanghai",
  "qianfan: { timeoutSeconds: 15, maxRetries: 6 }",
  "state: { kind: file, path: state.json }",
  "guards: { maxActionsPerRun: 10, maxFleetFraction: 0.5 }",
  'calendar: { holidays: ["2026-10-01..2026-10-07"], workdays: ["2026-10-10"] }',
  "jobs:",
  "  release-units: { minAge: 1h, idleFor: 2h, protect: [{ instanceId: unit-prod-* }] }",
  '  scale-services: { services: [{ serviceId: svc-1, instanceId: unit-a, uptime: "Mon-Fri 09:00-18:00" }] }',
  "  stop-batch-tasks: { maxRuntime: 24h, limits: [{ name: eval-*, maxRuntime: 12h }] }",
  '  tpm-windows: { windows: [{ name: peak, model: ernie-speed-8k, count: 2, schedule: "Mon-Fri 10:00-12:00" }] }',
  "chat: { slack: { operators: [op-1], rooms: [room-ops] } }",
].join("\n");
const BASE = YAML.parse(EXAMPLE) as Record<string, unknown>;

/** Every path into a value (objects and arrays), to mutate one at random. */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [at];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [at, ...entries.flatMap(([k, v]) => pathsOf(v, [...at, k]))];
}
const PATHS = pathsOf(BASE).filter((p) => p.length > 0);

function setAt(root: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
  return copy;
}

/** Values a config field may wrongly hold: wrong types, empty, huge, hostile strings. */
const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    "",
    "-1h",
    "0s",
    "99999999d",
    "NaN",
    "__proto__",
    "constructor",
    "Mon-Sun 25:00-26:00",
    "*",
    null,
  ),
  fc.string({ maxLength: 40 }),
  fc.double(),
  fc.integer(),
);

const configText = fc.oneof(
  fc
    .tuple(fc.constantFrom(...PATHS), oddValue)
    .map(([path, value]) => YAML.stringify(setAt(BASE, path, value))),
  fc
    .tuple(fc.nat(EXAMPLE.length), fc.nat(200), fc.string({ maxLength: 20 }))
    .map(([at, cut, insert]) => EXAMPLE.slice(0, at) + insert + EXAMPLE.slice(at + cut)),
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => YAML.stringify(v)),
);

describe("fuzzing the inputs: no crash, no hang, no action, a message naming the input", () => {
  it("the config loader takes any YAML text: a config, or a ConfigError naming the file", () => {
    fc.assert(
      fc.property(configText, (text) => {
        try {
          parseConfig(text, "fuzz.yml");
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toContain("fuzz.yml");
        }
      }),
      fuzz(),
    );
  });

  const scheduleToken = fc.constantFrom(
    "Mon",
    "Fri",
    "Sun",
    "-",
    " ",
    ",",
    ":",
    "09:00",
    "18:00",
    "24:00",
    "00:00",
    "Asia/Shanghai",
    "Pacific/Chatham",
    "Nowhere/City",
    "always",
    "never",
    "2026-10-01T00:00:00+08:00",
    "2026-10-08T00:00:00+08:00",
    "99",
  );
  const scheduleText = fc.oneof(
    fc.array(scheduleToken, { maxLength: 12 }).map((t) => t.join("")),
    fc.array(scheduleToken, { maxLength: 8 }).map((t) => t.join(" ")),
    fc.string({ maxLength: 60 }),
  );

  it("the schedule parser takes any text: a schedule that evaluates, or a ScheduleSyntaxError naming it", () => {
    fc.assert(
      fc.property(scheduleText, fc.integer({ min: 0, max: 4_000_000_000_000 }), (text, at) => {
        let schedule: ReturnType<typeof parseSchedule>;
        try {
          schedule = parseSchedule(text);
        } catch (error) {
          expect(error).toBeInstanceOf(ScheduleSyntaxError);
          expect((error as Error).message.length).toBeGreaterThan(0);
          return;
        }
        expect(
          typeof isActive(schedule, new Date(at), { defaultZone: "Asia/Shanghai", calendar: EMPTY_CALENDAR }),
        ).toBe("boolean");
      }),
      fuzz(),
    );
  });

  const eventValue = fc.oneof(
    fc.anything({ maxDepth: 2 }),
    fc.record(
      {
        source: fc.constantFrom("aws.events", "qfhk.chatops", "qfhk.doctor", "x"),
        "detail-type": fc.constantFrom("Scheduled Event", "x"),
        dryRun: fc.oneof(fc.boolean(), fc.string(), fc.constant(null)),
        only: fc.oneof(fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }), fc.string()),
        now: fc.oneof(
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        requestId: fc.string(),
        requestedBy: fc.string(),
        doctor: fc.anything({ maxDepth: 1 }),
        models: fc.anything({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    ),
  );

  it("the manual, scheduled and chat-ops event parsers take any event: an event, or an EventError naming the key", () => {
    fc.assert(
      fc.property(eventValue, (event) => {
        try {
          const parsed = parseJobEvent(event);
          expect(["scheduled", "manual", "chatops"]).toContain(parsed.kind);
        } catch (error) {
          expect((error as Error).name).toBe("EventError");
          expect((error as Error).message).toMatch(/^invalid (event|chat-ops job request): ./);
        }
        try {
          parseDoctorEvent(event);
        } catch (error) {
          expect((error as Error).name).toBe("EventError");
        }
      }),
      fuzz(),
    );
  });

  const secrets = localChatSecrets();
  const headerName = fc.constantFrom(
    "x-slack-signature",
    "x-slack-request-timestamp",
    "x-lark-signature",
    "x-lark-request-timestamp",
    "x-lark-request-nonce",
    "timestamp",
    "sign",
    "content-type",
    "content-length",
    "x-anything",
  );
  const rawRequest = fc.record({
    method: fc.constantFrom("POST", "GET", "PUT"),
    path: fc.constantFrom("/chat/slack", "/", "/chat/x"),
    headers: fc.dictionary(headerName, fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String))),
    query: fc.dictionary(
      fc.constantFrom("msg_signature", "timestamp", "nonce", "echostr", "x"),
      fc.string({ maxLength: 40 }),
    ),
    body: fc.oneof(
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v))),
      fc
        .record({
          type: fc.constantFrom("url_verification", "event_callback", "block_actions"),
          challenge: fc.string(),
          token: fc.string(),
          encrypt: fc.base64String(),
          text: fc.string(),
        })
        .map((v) => Buffer.from(JSON.stringify(v))),
      fc.string().map((s) => Buffer.from(`payload=${encodeURIComponent(s)}&command=/qfhk&text=release+u`)),
    ),
  });

  it("every chat webhook takes any bytes, headers and signatures: a bare refusal, and nothing runs", async () => {
    const dispatched: unknown[] = [];
    const deps = {
      secrets: async () => secrets,
      store: new MemoryStateStore({ clock: () => 1_790_000_000_000 }),
      dispatch: async (job: unknown) => {
        dispatched.push(job);
      },
      now: () => new Date(1_790_000_000_000),
      maxBodyBytes: 64 * 1024,
      dedupTtlMs: 60_000,
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...CHAT_PLATFORMS, "teams"), rawRequest, async (platform, request) => {
        const answer = await handleChatWebhook(platform, request, deps);
        expect([200, 400, 401, 404, 405, 413, 415]).toContain(answer.status);
        if (answer.status !== 200) expect(answer.body).toBe("");
        expect(dispatched).toEqual([]);
      }),
      fuzz(),
    );
  });
});
