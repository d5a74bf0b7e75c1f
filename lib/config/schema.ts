import { isListedTpmModel, QUERY_REGIONS, REGIONS, TPM_MODELS_LISTED_ON } from "../qianfan/actions";
import { DEFAULT_PACING } from "../qianfan/pacer";
import { calendarEntryProblem } from "../schedule/calendar";
import { parseSchedule } from "../schedule/parse";
import * as z from "../validation";
import { Duration, PositiveDuration } from "./duration";
import { TpmModelId } from "./tpm-model";

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

/** A string of at least one character. */
const NonEmpty = () => z.string().check(z.minLength(1));
/** A whole number from `min`, up to `max` when given. */
const Int = (min: number, max?: number) =>
  z.number().check(z.int(), z.gte(min), ...(max === undefined ? [] : [z.lte(max)]));
/** A boolean that is `value` when absent. */
const Flag = (value: boolean) => z._default(z.boolean(), value);

const TimeZone = z
  .string()
  .check(z.refine(isTimeZone, { message: "expected an IANA time zone such as Asia/Shanghai" }));

/** One protection rule: every field given must match (globs for ids and creators). */
export const ProtectionRule = z
  .strictObject({
    instanceId: z.optional(NonEmpty()),
    creator: z.optional(NonEmpty()),
    region: z.optional(z.enum(REGIONS)),
    type: z.optional(NonEmpty()),
    reason: z.optional(z.string()),
  })
  .check(
    z.refine((rule) => Boolean(rule.instanceId || rule.creator || rule.region || rule.type), {
      message: "a protection rule needs at least one of instanceId, creator, region, type",
    }),
  );
export type ProtectionRule = z.infer<typeof ProtectionRule>;

/** A job's advance notice: off unless enabled, `noticeFor` ahead. */
const Notice = (noticeFor: string) =>
  z.prefault(
    z.strictObject({
      enabled: Flag(false),
      noticeFor: z.prefault(PositiveDuration, noticeFor),
    }),
    {},
  );

const ReleaseUnitsJob = z.prefault(
  z.strictObject({
    enabled: Flag(true),
    minAge: z.prefault(PositiveDuration, "1h"),
    idleFor: z.prefault(PositiveDuration, "2h"),
    maxAge: z.optional(PositiveDuration),
    notice: Notice("1h"),
    regions: z.optional(z.array(z.enum(QUERY_REGIONS)).check(z.minLength(1))),
    protect: z._default(z.array(ProtectionRule), []),
  }),
  {},
);

/** A per-task limit: the first rule whose globs match a task's name and model applies. */
const TaskLimit = z
  .strictObject({
    name: z.optional(NonEmpty()),
    model: z.optional(NonEmpty()),
    maxRuntime: z.optional(PositiveDuration),
    maxQueued: z.optional(PositiveDuration),
  })
  .check(
    z.refine((rule) => Boolean(rule.name || rule.model), { message: "a limit needs name or model" }),
    z.refine((rule) => rule.maxRuntime !== undefined || rule.maxQueued !== undefined, {
      message: "a limit needs maxRuntime or maxQueued",
    }),
  );

/** Protection of batch tasks: by task id or name glob, or model glob. */
const TaskProtection = z
  .strictObject({
    taskId: z.optional(NonEmpty()),
    name: z.optional(NonEmpty()),
    model: z.optional(NonEmpty()),
    reason: z.optional(z.string()),
  })
  .check(
    z.refine((rule) => Boolean(rule.taskId || rule.name || rule.model), {
      message: "a protection rule needs at least one of taskId, name, model",
    }),
  );
export type TaskProtection = z.infer<typeof TaskProtection>;

const StopBatchTasksJob = z.prefault(
  z.strictObject({
    enabled: Flag(true),
    maxRuntime: z.prefault(PositiveDuration, "24h"),
    maxQueued: z.optional(PositiveDuration),
    limits: z._default(z.array(TaskLimit), []),
    notice: Notice("30m"),
    protect: z._default(z.array(TaskProtection), []),
  }),
  {},
);

/** A schedule expression, checked at load with the position of any error. */
const ScheduleText = z.string().check(
  // A schedule's error message quotes it whole: a runaway value is refused before it is parsed.
  z.maxLength(2000, { abort: true, message: "a schedule is at most 2000 characters" }),
  z.superRefine((text, ctx) => {
    try {
      parseSchedule(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  }),
);

/** A job's own guard overrides. */
const JobGuards = z.optional(
  z.strictObject({
    maxActionsPerRun: z.optional(Int(0)),
    maxFleetFraction: z.optional(z.number().check(z.gt(0), z.lte(1))),
  }),
);

const ServiceBinding = z
  .strictObject({
    serviceId: z.optional(NonEmpty()),
    name: z.optional(NonEmpty()),
    instanceId: NonEmpty(),
    uptime: z.optional(ScheduleText),
    downtime: z.optional(ScheduleText),
    downReplicas: z._default(Int(0), 0),
    upReplicas: z.optional(Int(1)),
    computeUnitsPerReplica: z.optional(Int(1)),
  })
  .check(
    z.refine((b) => (b.serviceId === undefined) !== (b.name === undefined), {
      message: "give exactly one of serviceId, name",
    }),
    z.refine((b) => (b.uptime === undefined) !== (b.downtime === undefined), {
      message: "give exactly one of uptime, downtime",
    }),
  );
export type ServiceBinding = z.infer<typeof ServiceBinding>;

const ScaleServicesJob = z.prefault(
  z.strictObject({
    enabled: Flag(true),
    grace: z.prefault(Duration, "15m"),
    maxConcurrentRestores: z._default(Int(1, 32), 2),
    guards: JobGuards,
    services: z._default(z.array(ServiceBinding), []),
  }),
  {},
);

const TpmWindow = z.strictObject({
  name: z.string().check(
    z.minLength(1),
    // Names end up in the state table's keys, which DynamoDB limits to 1 KiB.
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9_.-]+$/, "letters, digits, '.', '_' and '-' only"),
  ),
  // Any model id: the list the docs show changes, so a model missing from it is a warning
  // (configAdvice) and the platform's answer decides.
  model: TpmModelId,
  count: Int(1),
  schedule: ScheduleText,
});

const TpmWindowsJob = z.prefault(
  z
    .strictObject({
      enabled: Flag(true),
      maxLivePurchaseCount: z._default(Int(1), 10),
      purchaseSettle: z.prefault(PositiveDuration, "15m"),
      guards: JobGuards,
      windows: z._default(z.array(TpmWindow), []),
    })
    .check(
      z.superRefine((job, ctx) => {
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
      }),
    ),
  {},
);

const CalendarDates = z
  .array(
    z.string().check(
      // Kept as a pattern for editors; the message comes from calendarEntryProblem, once.
      z.regex(/^\d{4}-\d{2}-\d{2}(\.\.\d{4}-\d{2}-\d{2})?$/, {
        abort: true,
        error: (issue) => calendarEntryProblem(String(issue.input)),
      }),
      z.superRefine((entry, ctx) => {
        const problem = calendarEntryProblem(entry);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    ),
  )
  // Each entry becomes up to 367 days in memory at every run.
  .check(z.maxLength(1000));

/** The console endpoint: http(s) only, and never with credentials in it (they would be logged). */
const BaseUrl = z.string().check(
  z.superRefine((text, ctx) => {
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
  }),
  z.meta({ format: "uri", description: "The console endpoint, e.g. https://qianfan.baidubce.com" }),
);

/** A key of the stage's secret (`webhooks.<key>`): webhook URLs and signing secrets are secrets, never in the config. */
const SecretKey = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9_.-]{1,100}$/,
      "a key of the stage secret's webhooks: letters, digits, '.', '_' and '-'",
    ),
  );

/** Which notifications a room gets; absent: both. */
const NotifyKinds = {
  runSummaries: Flag(true),
  notices: Flag(true),
};

/** A platform's people and rooms: who may look, who may act, and from where. */
function chatPlatform<N extends z.ZodMiniType>(notify: N) {
  const UserId = z.string().check(z.minLength(1), z.maxLength(256));
  return z.strictObject({
    viewers: z._default(z.array(UserId), []),
    operators: z._default(z.array(UserId), []),
    rooms: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.minLength(1))),
    notify: z.optional(notify),
  });
}

/** Chat-ops and notifications; absent: chat is off. */
const ChatConfig = z.strictObject({
  confirmationTtl: z.prefault(
    PositiveDuration.check(z.refine((ms) => ms <= 3_600_000, { message: "a confirmation lasts at most 1h" })),
    "5m",
  ),
  dedupTtl: z.prefault(PositiveDuration, "24h"),
  maxBodyBytes: z._default(Int(1024, 1024 * 1024), 64 * 1024),
  publicUrl: z
    .optional(
      z.string().check(
        z.superRefine((text, ctx) => {
          const url = URL.canParse(text) ? new URL(text) : undefined;
          if (url?.protocol !== "https:" || url.username !== "" || url.password !== "") {
            ctx.addIssue({
              code: "custom",
              message: "expected an https URL without a user name or password",
            });
          }
        }),
      ),
    )
    .check(
      z.meta({
        format: "uri",
        description:
          "Where the chat webhook is reachable, e.g. https://abc.execute-api.ap-east-1.amazonaws.com",
      }),
    ),
  slack: z.optional(chatPlatform(z.strictObject({ webhookSecretKey: SecretKey, ...NotifyKinds }))),
  feishu: z.optional(
    chatPlatform(
      z.strictObject({ webhookSecretKey: SecretKey, signSecretKey: z.optional(SecretKey), ...NotifyKinds }),
    ),
  ),
  dingtalk: z.optional(
    chatPlatform(
      z.strictObject({ webhookSecretKey: SecretKey, signSecretKey: z.optional(SecretKey), ...NotifyKinds }),
    ),
  ),
  wecom: z.optional(chatPlatform(z.strictObject({ webhookSecretKey: SecretKey, ...NotifyKinds }))),
});

/** The whole `housekeeping.yml`. */
export const HousekeepingConfigSchema = z
  .strictObject({
    version: z.literal(1),
    timezone: z._default(TimeZone, "Asia/Shanghai"),
    calendar: z.prefault(
      z.strictObject({
        holidays: z._default(CalendarDates, []),
        workdays: z._default(CalendarDates, []),
      }),
      {},
    ),
    dryRun: z.optional(z.boolean()),
    qianfan: z.prefault(
      z.strictObject({
        baseUrl: z.optional(BaseUrl),
        // Absent: the default ceiling, which the rate climbs towards from a moderate start (./pacing).
        requestsPerSecond: z.optional(z.number().check(z.positive(), z.lte(10_000))),
        concurrency: z._default(Int(1, 64), DEFAULT_PACING.concurrency),
        timeoutSeconds: z._default(z.number().check(z.positive(), z.lte(600)), 15),
        maxRetries: z._default(Int(0, 20), 6),
      }),
      {},
    ),
    state: z.prefault(
      z
        .strictObject({
          kind: z._default(z.enum(["file", "memory", "dynamodb"]), "file"),
          path: z._default(NonEmpty(), ".qfhk/state.json"),
          table: z.optional(z.string().check(z.minLength(3))),
          auditRetention: z.prefault(PositiveDuration, "90d"),
        })
        .check(
          z.refine((s) => s.kind !== "dynamodb" || Boolean(s.table), {
            message: "state.table is required when kind is dynamodb",
            path: ["table"],
          }),
        ),
      {},
    ),
    guards: z.prefault(
      z.strictObject({
        maxActionsPerRun: z._default(Int(0), 10),
        maxFleetFraction: z._default(z.number().check(z.gt(0), z.lte(1)), 0.5),
        allowEmptyListing: Flag(false),
        allowInvalidItems: Flag(false),
        actionConcurrency: z._default(Int(1, 32), 8),
      }),
      {},
    ),
    pricing: z.optional(
      z.strictObject({
        currency: z._default(NonEmpty(), "CNY"),
        perComputeUnitHour: z.record(z.string(), z.number().check(z.nonnegative())),
      }),
    ),
    jobs: z.prefault(
      z.strictObject({
        "release-units": ReleaseUnitsJob,
        "stop-batch-tasks": StopBatchTasksJob,
        "scale-services": ScaleServicesJob,
        "tpm-windows": TpmWindowsJob,
      }),
      {},
    ),
    chat: z.optional(ChatConfig),
  })
  .check(z.meta({ title: "qianfan-housekeeper configuration (housekeeping.yml)" }));

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
