import { createHmac } from "node:crypto";
import pRetry from "p-retry";
import type { Clock } from "../../engine/clock";
import { describeOutcome, summarizeJob } from "../../engine/report";
import type { DecisionReport, JobReport, RunReport } from "../../engine/types";
import { formatLocalMoment } from "../../text";
import type { ChatPlatform } from "../types";
import {
  type ChatMessage,
  renderDingTalk,
  renderFeishuCard,
  renderSlack,
  renderWeComMarkdown,
  WECOM_BOT_MARKDOWN_BYTES,
} from "./message";
import { ChatSendError, checkAnswer, exchange, type FetchLike, isChatSendError, redact } from "./reply";

/**
 * A room we post notifications to, through the platform's incoming webhook or custom bot. The
 * webhook URL and the signing secret are credentials: results and errors never show them.
 */
export type NotifyTarget =
  | { platform: "slack"; webhookUrl: string; name?: string }
  /** Feishu custom bot; `secret` when its "signature verification" is on. */
  | { platform: "feishu"; webhookUrl: string; secret?: string; name?: string }
  /** DingTalk custom bot; `secret` (the `SEC…` string) when "加签" is on. */
  | { platform: "dingtalk"; webhookUrl: string; secret?: string; name?: string }
  /** WeCom group bot: the `key` in the URL is all it checks. */
  | { platform: "wecom"; webhookUrl: string; name?: string };

/** What became of one room's notification. */
export interface NotifyResult {
  /** The target's `name`, or `<platform>#<index>`: never its URL. */
  target: string;
  platform: ChatPlatform;
  ok: boolean;
  attempts: number;
  error?: string;
}

export interface NotifyDeps {
  fetch: FetchLike;
  now: Clock;
  /** Retries after the first attempt (default 2). */
  retries?: number;
  /** Per attempt, answer included (default 5 s). */
  timeoutMs?: number;
  /** First wait and the longest one (default 500 ms and 4 s), doubled each retry, with jitter. */
  backoff?: { baseMs: number; maxMs: number };
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1); default Math.random. */
  random?: () => number;
}

export const DEFAULT_NOTIFY_RETRIES = 2;
export const DEFAULT_BACKOFF = { baseMs: 500, maxMs: 4000 } as const;

/**
 * The wait before retry `attempt` (1 = the first retry): the exponential step, capped, half of
 * it fixed and half random ("equal jitter"), so rooms that failed together do not retry together.
 */
export function backoffDelay(
  attempt: number,
  backoff: { baseMs: number; maxMs: number },
  random: () => number,
): number {
  const step = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Feishu custom-bot signature: base64(HMAC-SHA256(key = `${timestamp}\n${secret}`, message = "")),
 * with the timestamp in seconds. Feishu signs an empty message keyed by ts\nsecret — the mirror
 * image of DingTalk. https://open.feishu.cn/document/client-docs/bot-v3/add-custom-bot
 */
export function feishuBotSign(timestampSeconds: number | string, secret: string): string {
  return createHmac("sha256", `${timestampSeconds}\n${secret}`).update("").digest("base64");
}

/**
 * DingTalk custom-bot signature: base64(HMAC-SHA256(key = secret, message = `${timestamp}\n${secret}`)),
 * timestamp in milliseconds; it goes on the URL URL-encoded (`+`, `/`, `=` escaped).
 * https://open.dingtalk.com/document/robots/customize-robot-security-settings
 */
export function dingtalkBotSign(timestampMs: number | string, secret: string): string {
  return createHmac("sha256", secret).update(`${timestampMs}\n${secret}`).digest("base64");
}

/** The body and URL of one attempt: built again each time, so a retry carries a fresh timestamp. */
function buildRequest(target: NotifyTarget, message: ChatMessage, now: Date): { url: URL; body: unknown } {
  const url = new URL(target.webhookUrl);
  switch (target.platform) {
    case "slack":
      return { url, body: renderSlack(message) };
    case "feishu": {
      // Custom bots cannot take card callbacks: the card names the code instead of a button.
      const body: Record<string, unknown> = {
        msg_type: "interactive",
        card: renderFeishuCard(message, { buttons: false }),
      };
      if (target.secret) {
        const timestamp = String(Math.floor(now.getTime() / 1000));
        body.timestamp = timestamp;
        body.sign = feishuBotSign(timestamp, target.secret);
      }
      return { url, body };
    }
    case "dingtalk": {
      if (target.secret) {
        const timestamp = String(now.getTime());
        url.searchParams.set("timestamp", timestamp);
        // URLSearchParams percent-encodes `+`, `/` and `=`, which is the urlencode DingTalk asks for.
        url.searchParams.set("sign", dingtalkBotSign(timestamp, target.secret));
      }
      return { url, body: renderDingTalk(message) };
    }
    case "wecom":
      return { url, body: renderWeComMarkdown(message, WECOM_BOT_MARKDOWN_BYTES) };
  }
}

/** Everything in a target that must not appear in a result: the URL, its key, path and secret. */
function targetSecrets(target: NotifyTarget): string[] {
  const secrets = [target.webhookUrl];
  if ("secret" in target && target.secret) secrets.push(target.secret);
  try {
    const url = new URL(target.webhookUrl);
    secrets.push(...url.searchParams.values());
    secrets.push(...url.pathname.split("/").filter((part) => part.length >= 8));
  } catch {
    // Not a URL: the whole string is already listed.
  }
  return secrets;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Posts to one room with retries; never throws. */
async function notifyOne(
  target: NotifyTarget,
  label: string,
  message: ChatMessage,
  deps: NotifyDeps,
): Promise<NotifyResult> {
  const secrets = targetSecrets(target);
  const platform = target.platform;
  let attempts = 0;
  try {
    try {
      new URL(target.webhookUrl);
    } catch {
      throw new ChatSendError(platform, "the webhook URL is not a URL", {
        retryable: false,
        code: "BadTarget",
      });
    }
    const backoff = deps.backoff ?? DEFAULT_BACKOFF;
    const random = deps.random ?? Math.random;
    const sleep = deps.sleep ?? defaultSleep;
    await pRetry(
      async () => {
        attempts += 1;
        const { url, body } = buildRequest(target, message, deps.now());
        const answer = await exchange(
          platform,
          "webhook",
          url,
          {
            method: "POST",
            headers: { "content-type": "application/json; charset=utf-8" },
            body: JSON.stringify(body),
          },
          deps,
        );
        checkAnswer(platform, "webhook", answer, secrets);
      },
      {
        retries: deps.retries ?? DEFAULT_NOTIFY_RETRIES,
        // The waits are taken in onFailedAttempt with the injected sleep and random, so tests
        // neither wait nor guess; p-retry's own delay is off.
        minTimeout: 0,
        maxTimeout: 0,
        randomize: false,
        shouldRetry: ({ error }) => isChatSendError(error) && error.retryable,
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft > 0 && isChatSendError(error) && error.retryable) {
            await sleep(backoffDelay(attemptNumber, backoff, random));
          }
        },
      },
    );
    return { target: label, platform, ok: true, attempts };
  } catch (error) {
    const words = isChatSendError(error)
      ? error.message
      : `${platform}: unexpected ${error instanceof Error ? error.name : "failure"}`;
    return { target: label, platform, ok: false, attempts, error: redact(words, secrets) };
  }
}

/**
 * Posts `message` to every room at once, each with a few retries (exponential backoff with
 * jitter on timeouts, network errors, 429, 5xx and rate-limit codes) and a short timeout per
 * attempt. Never throws: a room that could not be reached is reported in its result.
 */
export async function notifyRooms(
  targets: readonly NotifyTarget[],
  message: ChatMessage,
  deps: NotifyDeps,
): Promise<NotifyResult[]> {
  return Promise.all(
    targets.map((target, index) =>
      notifyOne(target, target.name ?? `${target.platform}#${index}`, message, deps),
    ),
  );
}

// ----------------------------------------------------------------------------------- wording

/** What kind of run, in a word or two. */
function runKind(report: RunReport): string {
  if (report.whatIf) return "What-if run";
  const kind = report.dryRun ? "Dry run" : "Run";
  return report.simulated ? `Simulated ${kind.toLowerCase()}` : kind;
}

const label = (d: DecisionReport) => (d.label ? ` (${d.label})` : "");

function jobLines(job: JobReport, currency: string | undefined): string[] {
  const lines: string[] = [];
  const state = job.status === "ok" ? "" : `${job.status.toUpperCase()} — `;
  lines.push(`${job.job}: ${state}${summarizeJob(job, currency)}`);
  if (job.stoppedBy)
    lines.push(`${job.job}: stopped by guard ${job.stoppedBy.guard}: ${job.stoppedBy.message}`);
  if (job.error) lines.push(`${job.job}: ${job.error.message}`);
  return lines;
}

/**
 * A run report as a chat message: a line per job with its totals, then what failed, what was
 * done, what a dry run would do, what was announced and any warnings — most important first, so
 * a phone's cap leaves out the least.
 */
export function formatRunSummary(report: RunReport): ChatMessage {
  const decisions = report.jobs.flatMap((job) => job.decisions.map((d) => ({ job, d })));
  const failed = decisions.filter(({ d }) => d.outcome?.status === "failed");
  const title = `${runKind(report)} on ${report.target}${failed.length > 0 ? ` — ${failed.length} failed` : ""}`;
  const lines = [
    ...report.jobs.flatMap((job) => jobLines(job, report.currency)),
    ...failed.map(({ d }) => `✗ ${d.resourceId}${label(d)}: ${describeOutcome(d)}`),
    ...decisions
      .filter(({ d }) => d.outcome?.status === "done")
      .map(({ d }) => `✓ ${d.resourceId}${label(d)}: ${describeOutcome(d)}`),
    ...decisions
      .filter(({ d }) => d.verdict === "act" && d.outcome?.status === "planned")
      .map(({ d }) => `• would act on ${d.resourceId}${label(d)}: ${d.reason}`),
    ...decisions
      .filter(({ d }) => d.outcome?.status === "noticed")
      .map(({ d }) => `⏰ ${d.resourceId}${label(d)}: ${d.reason}`),
    ...report.jobs.flatMap((job) => job.warnings.map((w) => `⚠ ${job.job}: ${w}`)),
  ];
  return { title, lines, more: "history" };
}

/** How each mark-then-act job words the change it announces. */
const NOTICE_VERBS: Record<string, string> = {
  "release-units": "released",
  "stop-batch-tasks": "stopped",
};

export interface NoticeOptions {
  /** The zone times are shown in (default UTC), as the policy's `at` formats them. */
  timeZone?: string;
  /** The snooze suggested in each line (default `4h`). */
  snoozeFor?: string;
}

/**
 * One message per job with the announcements this run recorded (mark, then act): "unit-x will be
 * released at 14:00 — reply `snooze unit-x 4h` to keep it". Dry runs, what-ifs and rehearsals
 * announce nothing, since they recorded nothing; notices already given are not repeated.
 */
export function formatNotices(report: RunReport, options: NoticeOptions = {}): ChatMessage[] {
  if (report.whatIf || report.dryRun || report.simulated || !report.recorded) return [];
  const timeZone = options.timeZone ?? "UTC";
  const snoozeFor = options.snoozeFor ?? "4h";
  const evaluatedAt = new Date(report.evaluatedAt);
  const messages: ChatMessage[] = [];
  for (const job of report.jobs) {
    const notices = job.decisions.filter((d) => d.verdict === "notice" && d.outcome?.status === "noticed");
    if (notices.length === 0) continue;
    const verb = NOTICE_VERBS[job.job] ?? "acted on";
    const lines = notices.map((d) => {
      const due = d.dueAt ? new Date(d.dueAt) : undefined;
      const when =
        due && !Number.isNaN(due.getTime()) && !Number.isNaN(evaluatedAt.getTime())
          ? ` at ${formatLocalMoment(due, evaluatedAt, timeZone)}`
          : "";
      return `${d.resourceId}${label(d)} will be ${verb}${when} — reply \`snooze ${d.resourceId} ${snoozeFor}\` to keep it`;
    });
    const count = notices.length === 1 ? "1 resource" : `${notices.length} resources`;
    messages.push({ title: `${job.job}: ${count} will be ${verb} unless snoozed`, lines, more: "history" });
  }
  return messages;
}
