import { z } from "zod";
import {
  isListedTpmModel,
  QUERY_REGIONS,
  REGIONS,
  TPM_MODELS,
  TPM_MODELS_LISTED_ON,
} from "../qianfan/actions";
import { calendarEntryProblem } from "../schedule/calendar";
import { parseSchedule } from "../schedule/parse";
import { Duration, PositiveDuration } from "./duration";

/** Zones found valid: only real zones are kept, so the set stays as small as the zone database. */
const KNOWN_ZONES = new Set<string>();

/** True when `zone` is an IANA time zone this runtime knows. */
export function isTimeZone(zone: string): boolean {
  // Building a formatter is most of what validating a config costs; each zone is checked once.
  if (KNOWN_ZONES.has(zone)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    KNOWN_ZONES.add(zone);
    return true;
  } catch {
    return false;
  }
}

const TimeZone = z
  .string()
  .refine(isTimeZone, { message: "expected an IANA time zone such as Asia/Shanghai" })
  .meta({ description: "An IANA time zone, e.g. Asia/Shanghai" });

/** One protection rule: every field given must match (globs for ids and creators). */
export const ProtectionRule = z
  .strictObject({
    instanceId: z
      .string()
      .min(1)
      .optional()
      .meta({ description: "Glob over the instance id, e.g. unit-prod-*" }),
    creator: z.string().min(1).optional().meta({ description: "Glob over the creator" }),
    region: z.enum(REGIONS).optional(),
    type: z.string().min(1).optional().meta({ description: "Unit type, e.g. gpu-6" }),
    reason: z.string().optional().meta({ description: "Shown in reports" }),
  })
  .refine((rule) => rule.instanceId || rule.creator || rule.region || rule.type, {
    message: "a protection rule needs at least one of instanceId, creator, region, type",
  });
export type ProtectionRule = z.infer<typeof ProtectionRule>;

const ReleaseUnitsJob = z
  .strictObject({
    enabled: z.boolean().default(true),
    minAge: PositiveDuration.prefault("1h").meta({
      description: "Grace for new units: none younger is released",
    }),
    idleFor: PositiveDuration.prefault("2h").meta({
      description: "How long a unit must be seen unused before release",
    }),
    maxAge: PositiveDuration.optional().meta({
      description: "Postpaid units older than this count as expired",
    }),
    notice: z
      .strictObject({
        enabled: z.boolean().default(false),
        noticeFor: PositiveDuration.prefault("1h"),
      })
      .prefault({}),
    regions: z.array(z.enum(QUERY_REGIONS)).min(1).optional(),
    protect: z.array(ProtectionRule).default([]).meta({ description: "Added to the built-in protections" }),
  })
  .prefault({});

/** A per-task limit: the first rule whose globs match a task's name and model applies. */
const TaskLimit = z
  .strictObject({
    name: z.string().min(1).optional().meta({ description: "Glob over the task name, e.g. nightly-*" }),
    model: z.string().min(1).optional().meta({ description: "Glob over the task's modelId" }),
    maxRuntime: PositiveDuration.optional(),
    maxQueued: PositiveDuration.optional(),
  })
  .refine((rule) => rule.name || rule.model, { message: "a limit needs name or model" })
  .refine((rule) => rule.maxRuntime !== undefined || rule.maxQueued !== undefined, {
    message: "a limit needs maxRuntime or maxQueued",
  });

/** Protection of batch tasks: by task id or name glob, or model glob. */
const TaskProtection = z
  .strictObject({
    taskId: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    reason: z.string().optional(),
  })
  .refine((rule) => rule.taskId || rule.name || rule.model, {
    message: "a protection rule needs at least one of taskId, name, model",
  });
export type TaskProtection = z.infer<typeof TaskProtection>;

const StopBatchTasksJob = z
  .strictObject({
    enabled: z.boolean().default(true),
    maxRuntime: PositiveDuration.prefault("24h").meta({
      description: "Running longer than this is an overrun",
    }),
    maxQueued: PositiveDuration.optional().meta({
      description: "Queuing longer than this is stuck; absent: never",
    }),
    limits: z.array(TaskLimit).default([]),
    notice: z
      .strictObject({
        enabled: z.boolean().default(false),
        noticeFor: PositiveDuration.prefault("30m"),
      })
      .prefault({}),
    protect: z.array(TaskProtection).default([]),
  })
  .prefault({});

/** A schedule expression, checked at load with the position of any error. */
const ScheduleText = z
  .string()
  // A schedule's error message quotes it whole: a runaway value is refused before it is parsed.
  .max(2000, { abort: true, message: "a schedule is at most 2000 characters" })
  .superRefine((text, ctx) => {
    try {
      parseSchedule(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  })
  .meta({ description: 'e.g. "Mon-Fri 08:00-20:00 Asia/Shanghai", "Sun-Thu 09:00-17:00", "always"' });

/** A job's own guard overrides. */
const JobGuards = z
  .strictObject({
    maxActionsPerRun: z.number().int().min(0).optional(),
    maxFleetFraction: z.number().gt(0).max(1).optional(),
  })
  .optional();

const ServiceBinding = z
  .strictObject({
    serviceId: z.string().min(1).optional(),
    name: z.string().min(1).optional().meta({ description: "Glob over the service name" }),
    instanceId: z.string().min(1).meta({ description: "The compute unit the replicas run on" }),
    uptime: ScheduleText.optional(),
    downtime: ScheduleText.optional(),
    downReplicas: z.number().int().min(0).default(0),
    upReplicas: z.number().int().min(1).optional().meta({ description: "Used when no size was remembered" }),
    computeUnitsPerReplica: z.number().int().min(1).optional().meta({
      description:
        "Compute units one replica takes, to check a restore fits on the unit (else the size measured at scale-down)",
    }),
  })
  .refine((b) => (b.serviceId === undefined) !== (b.name === undefined), {
    message: "give exactly one of serviceId, name",
  })
  .refine((b) => (b.uptime === undefined) !== (b.downtime === undefined), {
    message: "give exactly one of uptime, downtime",
  });
export type ServiceBinding = z.infer<typeof ServiceBinding>;

const ScaleServicesJob = z
  .strictObject({
    enabled: z.boolean().default(true),
    grace: Duration.prefault("15m").meta({
      description: "A service deployed or changed this recently is left alone",
    }),
    maxConcurrentRestores: z.number().int().min(1).max(32).default(2),
    guards: JobGuards,
    services: z.array(ServiceBinding).default([]),
  })
  .prefault({});

/** A model id as PurchaseTPMResource takes it: any sane id, since the documented list changes. */
export const TpmModelId = z
  .string()
  .min(1, { abort: true, message: "expected a model id such as ernie-speed-8k" })
  .max(64, { abort: true, message: "a model id is at most 64 characters" })
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
    "a model id such as ernie-speed-8k: letters, digits, '.', '_' and '-'",
  )
  .meta({
    description: `A model PurchaseTPMResource accepts, e.g. ernie-speed-8k. The examples are the models the docs listed on ${TPM_MODELS_LISTED_ON}; another loads with a warning, and the platform's answer decides`,
    examples: [...TPM_MODELS],
  });

const TpmWindow = z.strictObject({
  name: z
    .string()
    .min(1)
    // Names end up in the state table's keys, which DynamoDB limits to 1 KiB.
    .max(64)
    .regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '.', '_' and '-' only"),
  // Any model id: the list the docs show changes, so a model missing from it is a warning
  // (configAdvice) and the platform's answer decides.
  model: TpmModelId,
  count: z.number().int().min(1),
  schedule: ScheduleText,
});

const TpmWindowsJob = z
  .strictObject({
    enabled: z.boolean().default(true),
    maxLivePurchaseCount: z
      .number()
      .int()
      .min(1)
      .default(10)
      .meta({ description: "Budget: purchaseCount live at once" }),
    purchaseSettle: PositiveDuration.prefault("15m").meta({
      description:
        "A purchase whose answer was lost is bought again only after it stays unlisted this long (listings lag)",
    }),
    guards: JobGuards,
    windows: z.array(TpmWindow).default([]),
  })
  .superRefine((job, ctx) => {
    const names = job.windows.map((w) => w.name);
    const seen = new Set<string>();
    names.forEach((name, i) => {
      if (seen.has(name))
        ctx.addIssue({
          code: "custom",
          path: ["windows", i, "name"],
          message: `duplicate window name ${name}`,
        });
      seen.add(name);
    });
  })
  .prefault({});

const CalendarDates = z
  .array(
    z
      .string()
      // Kept as a pattern for editors; the message comes from calendarEntryProblem, once.
      .regex(/^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$/, {
        abort: true,
        error: (issue) => calendarEntryProblem(String(issue.input)),
      })
      .superRefine((entry, ctx) => {
        const problem = calendarEntryProblem(entry);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
  )
  // Each entry becomes up to 367 days in memory at every run.
  .max(1000);

/** The console endpoint: http(s) only, and never with credentials in it (they would be logged). */
const BaseUrl = z
  .string()
  .superRefine((text, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    // The messages never quote the value: it may hold a password.
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      ctx.addIssue({
        code: "custom",
        message: "expected an http(s) URL such as https://qianfan.baidubce.com",
      });
    } else if (url.username !== "" || url.password !== "") {
      ctx.addIssue({
        code: "custom",
        message:
          "must not contain a user name or password; keys come from QIANFAN_ACCESS_KEY / QIANFAN_SECRET_KEY or the stage's secret",
      });
    }
  })
  .meta({ format: "uri", description: "The console endpoint, e.g. https://qianfan.baidubce.com" });

/** A key of the stage's secret (`webhooks.<key>`): webhook URLs and signing secrets are secrets, never in the config. */
const SecretKey = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, "a key of the stage secret's webhooks: letters, digits, '.', '_' and '-'")
  .meta({ description: "The name of a value under `webhooks` in the stage's secret, e.g. slackWebhook" });

/** Which notifications a room gets; absent: both. */
const NotifyKinds = {
  runSummaries: z
    .boolean()
    .default(true)
    .meta({ description: "A summary of each run that did or planned something" }),
  notices: z.boolean().default(true).meta({ description: "Advance notices before a release or a stop" }),
};

/** A platform's people and rooms: who may look, who may act, and from where. */
function chatPlatform<N extends z.ZodType>(notify: N) {
  const UserId = z.string().min(1).max(256);
  return z.strictObject({
    viewers: z
      .array(UserId)
      .default([])
      .meta({ description: "User ids that may ask for help, status, plan, history, snoozes" }),
    operators: z.array(UserId).default([]).meta({ description: "User ids that may use every command" }),
    rooms: z.array(z.string().min(1).max(256)).min(1).optional().meta({
      description: "When given, commands are taken only from these rooms (channel / chat / conversation ids)",
    }),
    notify: notify.optional().meta({
      description: "Post run summaries and notices to a room through its incoming webhook (custom bot)",
    }),
  });
}

/** Chat-ops and notifications; absent: chat is off. */
const ChatConfig = z
  .strictObject({
    confirmationTtl: PositiveDuration.refine((ms) => ms <= 3_600_000, {
      message: "a confirmation lasts at most 1h",
    })
      .prefault("5m")
      .meta({ description: "How long a destructive command waits for its confirmation (at most 1h)" }),
    dedupTtl: PositiveDuration.prefault("24h").meta({
      description: "How long a platform's event id is remembered, so a redelivered event runs once",
    }),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024)
      .default(64 * 1024)
      .meta({
        description: "Larger webhook requests are refused unread",
      }),
    publicUrl: z
      .string()
      .superRefine((text, ctx) => {
        const url = URL.canParse(text) ? new URL(text) : undefined;
        if (url?.protocol !== "https:" || url.username !== "" || url.password !== "") {
          ctx.addIssue({ code: "custom", message: "expected an https URL without a user name or password" });
        }
      })
      .optional()
      .meta({
        format: "uri",
        description:
          "Where the chat webhook is reachable, e.g. https://abc.execute-api.ap-east-1.amazonaws.com",
      }),
    slack: chatPlatform(z.strictObject({ webhookSecretKey: SecretKey, ...NotifyKinds })).optional(),
    feishu: chatPlatform(
      z.strictObject({ webhookSecretKey: SecretKey, signSecretKey: SecretKey.optional(), ...NotifyKinds }),
    ).optional(),
    dingtalk: chatPlatform(
      z.strictObject({ webhookSecretKey: SecretKey, signSecretKey: SecretKey.optional(), ...NotifyKinds }),
    ).optional(),
    wecom: chatPlatform(z.strictObject({ webhookSecretKey: SecretKey, ...NotifyKinds })).optional(),
  })
  .meta({
    description: "Chat-ops and notifications on Slack, Feishu, DingTalk and WeCom; absent: chat is off",
  });

/** The whole `housekeeping.yml`. */
export const HousekeepingConfigSchema = z
  .strictObject({
    version: z.literal(1),
    timezone: TimeZone.default("Asia/Shanghai"),
    calendar: z
      .strictObject({
        holidays: CalendarDates.default([]).meta({ description: "Dates or ranges with no scheduled uptime" }),
        workdays: CalendarDates.default([]).meta({
          description: "Make-up working days (调休) that count as Mon–Fri",
        }),
      })
      .prefault({}),
    dryRun: z.boolean().optional().meta({
      description: "Absent: real endpoints run dry unless --apply; the built-in emulator applies",
    }),
    qianfan: z
      .strictObject({
        baseUrl: BaseUrl.optional(),
        requestsPerSecond: z.number().positive().max(1000).default(10),
        concurrency: z.number().int().min(1).max(64).default(4),
        timeoutSeconds: z.number().positive().max(600).default(15),
        maxRetries: z.number().int().min(0).max(20).default(6),
      })
      .prefault({}),
    state: z
      .strictObject({
        kind: z.enum(["file", "memory", "dynamodb"]).default("file"),
        path: z.string().min(1).default(".qfhk/state.json"),
        table: z.string().min(3).optional(),
        auditRetention: PositiveDuration.prefault("90d"),
      })
      .refine((s) => s.kind !== "dynamodb" || s.table, {
        message: "state.table is required when kind is dynamodb",
        path: ["table"],
      })
      .prefault({}),
    guards: z
      .strictObject({
        maxActionsPerRun: z.number().int().min(0).default(10),
        maxFleetFraction: z.number().gt(0).max(1).default(0.5),
        allowEmptyListing: z.boolean().default(false),
        allowInvalidItems: z.boolean().default(false),
        actionConcurrency: z.number().int().min(1).max(32).default(4),
      })
      .prefault({}),
    pricing: z
      .strictObject({
        currency: z.string().min(1).default("CNY"),
        perComputeUnitHour: z.record(z.string(), z.number().nonnegative()),
      })
      .optional(),
    jobs: z
      .strictObject({
        "release-units": ReleaseUnitsJob,
        "stop-batch-tasks": StopBatchTasksJob,
        "scale-services": ScaleServicesJob,
        "tpm-windows": TpmWindowsJob,
      })
      .prefault({}),
    chat: ChatConfig.optional(),
  })
  .meta({ title: "qianfan-housekeeper configuration (housekeeping.yml)" });

export type HousekeepingConfig = z.infer<typeof HousekeepingConfigSchema>;

/** Something in a valid config worth a second look, at a key path. */
export interface ConfigAdvice {
  path: Array<string | number>;
  message: string;
}

/**
 * What a valid config may have wrong without being invalid: a TPM window's model missing from the
 * models the docs listed (the list changes; the platform's answer decides, so it is not refused).
 */
export function configAdvice(config: HousekeepingConfig): ConfigAdvice[] {
  return config.jobs["tpm-windows"].windows.flatMap((window, i) =>
    isListedTpmModel(window.model)
      ? []
      : [
          {
            path: ["jobs", "tpm-windows", "windows", i, "model"],
            message: `'${window.model}' is not among the models the PurchaseTPMResource docs listed on ${TPM_MODELS_LISTED_ON}; kept as written, and the platform's answer decides`,
          },
        ],
  );
}
