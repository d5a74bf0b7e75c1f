// The config's field descriptions, for housekeeping.schema.json alone (./write-schema.ts): kept
// out of ./schema.ts, which every function bundles, as no function shows them. Each is put on the
// schema node at its path, as `z.meta` in the schema would put it: a segment is a key, "~" the
// schema a default, prefault or optional wraps, "[]" an array's items.
import * as z from "../validation";
import { HousekeepingConfigSchema } from "./schema";

/** Path → description, outside the chat platforms' blocks. */
const DESCRIPTIONS: ReadonlyArray<readonly [string, string]> = [
  ["timezone.~", "An IANA time zone, e.g. Asia/Shanghai"],
  ["calendar.~.holidays", "Dates or ranges with no scheduled uptime"],
  ["calendar.~.workdays", "Make-up working days (调休) that count as Mon–Fri"],
  ["dryRun", "Absent: real endpoints run dry unless --apply; the built-in emulator applies"],
  ["qianfan.~.baseUrl.~", "The console endpoint, e.g. https://qianfan.baidubce.com"],
  [
    "qianfan.~.requestsPerSecond.~",
    "Requests per second the account allows this process (its share, where other clients call at the same time): the rate starts just under it and halves on throttling. Absent: it starts at 50/s and climbs towards 1000/s while answers are clean",
  ],
  ["qianfan.~.concurrency", "Ceiling of requests in flight at once"],
  ["jobs.~.release-units.~.minAge", "Grace for new units: none younger is released"],
  ["jobs.~.release-units.~.idleFor", "How long a unit must be seen unused before release"],
  ["jobs.~.release-units.~.maxAge", "Postpaid units older than this count as expired"],
  ["jobs.~.release-units.~.protect", "Added to the built-in protections"],
  ["jobs.~.release-units.~.protect.~.[].instanceId", "Glob over the instance id, e.g. unit-prod-*"],
  ["jobs.~.release-units.~.protect.~.[].creator", "Glob over the creator"],
  ["jobs.~.release-units.~.protect.~.[].type", "Unit type, e.g. gpu-6"],
  ["jobs.~.release-units.~.protect.~.[].reason", "Shown in reports"],
  ["jobs.~.stop-batch-tasks.~.maxRuntime", "Running longer than this is an overrun"],
  ["jobs.~.stop-batch-tasks.~.maxQueued", "Queuing longer than this is stuck; absent: never"],
  ["jobs.~.stop-batch-tasks.~.limits.~.[].name", "Glob over the task name, e.g. nightly-*"],
  ["jobs.~.stop-batch-tasks.~.limits.~.[].model", "Glob over the task's modelId"],
  ["jobs.~.scale-services.~.grace", "A service deployed or changed this recently is left alone"],
  ["jobs.~.scale-services.~.services.~.[].name", "Glob over the service name"],
  ["jobs.~.scale-services.~.services.~.[].instanceId", "The compute unit the replicas run on"],
  [
    "jobs.~.scale-services.~.services.~.[].uptime.~",
    'e.g. "Mon-Fri 08:00-20:00 Asia/Shanghai", "Sun-Thu 09:00-17:00", "always"',
  ],
  ["jobs.~.scale-services.~.services.~.[].upReplicas", "Used when no size was remembered"],
  [
    "jobs.~.scale-services.~.services.~.[].computeUnitsPerReplica",
    "Compute units one replica takes, to check a restore fits on the unit (else the size measured at scale-down)",
  ],
  ["jobs.~.tpm-windows.~.maxLivePurchaseCount", "Budget: purchaseCount live at once"],
  [
    "jobs.~.tpm-windows.~.purchaseSettle",
    "A purchase whose answer was lost is bought again only after it stays unlisted this long (listings lag)",
  ],
  [
    "jobs.~.tpm-windows.~.windows.~.[].model",
    "A model PurchaseTPMResource accepts, e.g. ernie-speed-8k. The examples are the models the docs listed on 2025-09-15; another loads with a warning, and the platform's answer decides",
  ],
  ["chat.~", "Chat-ops and notifications on Slack, Feishu, DingTalk and WeCom; absent: chat is off"],
  ["chat.~.confirmationTtl", "How long a destructive command waits for its confirmation (at most 1h)"],
  ["chat.~.dedupTtl", "How long a platform's event id is remembered, so a redelivered event runs once"],
  ["chat.~.maxBodyBytes", "Larger webhook requests are refused unread"],
  [
    "chat.~.publicUrl",
    "Where the chat webhook is reachable, e.g. https://abc.execute-api.ap-east-1.amazonaws.com",
  ],
];

/** Path inside each chat platform's block (chat.~.<platform>) → description. */
const PLATFORM_DESCRIPTIONS: ReadonlyArray<readonly [string, string]> = [
  ["~.viewers", "User ids that may ask for help, status, plan, history, snoozes"],
  ["~.operators", "User ids that may use every command"],
  ["~.rooms", "When given, commands are taken only from these rooms (channel / chat / conversation ids)"],
  ["~.notify", "Post run summaries and notices to a room through its incoming webhook (custom bot)"],
  [
    "~.notify.~.webhookSecretKey",
    "The name of a value under `webhooks` in the stage's secret, e.g. slackWebhook",
  ],
  ["~.notify.~.runSummaries", "A summary of each run that did or planned something"],
  ["~.notify.~.notices", "Advance notices before a release or a stop"],
];

const PLATFORMS = ["slack", "feishu", "dingtalk", "wecom"];

type Node = { _zod: { def: Record<string, unknown> } };

/** The schema node at `path`; a path the schema lacks throws, so a renamed field fails the schema's test. */
function nodeAt(root: Node, path: string): Node {
  let node = root;
  for (const segment of path.split(".")) {
    const def = node._zod.def;
    const next =
      segment === "~"
        ? def.innerType
        : segment === "[]"
          ? def.element
          : (def.shape as Record<string, Node> | undefined)?.[segment];
    if (!next) throw new Error(`the config schema has no node at ${path} (at ${segment})`);
    node = next as Node;
  }
  return node;
}

/** Puts every field description on the config schema (again is harmless), for its JSON Schema. */
export function describeConfigSchema(): void {
  const entries = [
    ...DESCRIPTIONS,
    ...PLATFORMS.flatMap((platform) =>
      PLATFORM_DESCRIPTIONS.map(([path, text]) => [`chat.~.${platform}.${path}`, text] as const),
    ),
  ];
  for (const [path, description] of entries) {
    const node = nodeAt(HousekeepingConfigSchema as unknown as Node, path) as unknown as z.core.$ZodType;
    z.globalRegistry.add(node, { ...z.globalRegistry.get(node), description });
  }
}
