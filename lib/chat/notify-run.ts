import type { HousekeepingConfig } from "../config/runtime";
import type { Clock } from "../engine/clock";
import type { RunReport } from "../engine/types";
import {
  formatNotices,
  formatRunSummary,
  type NotifyResult,
  type NotifyTarget,
  notifyRooms,
} from "./outbound/notify";
import { CHAT_PLATFORMS } from "./types";

/** The rooms the config asks to hear about runs, with their webhook URLs and bot secrets. */
export function notifyTargets(
  config: HousekeepingConfig,
  webhooks: Readonly<Record<string, string>>,
  kind: "runSummaries" | "notices",
): { targets: NotifyTarget[]; problems: string[] } {
  const targets: NotifyTarget[] = [];
  const problems: string[] = [];
  for (const platform of CHAT_PLATFORMS) {
    const notify = config.chat?.[platform]?.notify as
      | { webhookSecretKey: string; signSecretKey?: string; runSummaries: boolean; notices: boolean }
      | undefined;
    if (!notify?.[kind]) continue;
    const webhookUrl = webhooks[notify.webhookSecretKey];
    if (!webhookUrl) {
      problems.push(
        `chat.${platform}.notify: no webhook '${notify.webhookSecretKey}' in the secret's chat.webhooks`,
      );
      continue;
    }
    const secret = notify.signSecretKey ? webhooks[notify.signSecretKey] : undefined;
    if (notify.signSecretKey && !secret) {
      problems.push(
        `chat.${platform}.notify: no signing secret '${notify.signSecretKey}' in the secret's chat.webhooks`,
      );
      continue;
    }
    targets.push({
      platform,
      webhookUrl,
      name: `${platform}:${notify.webhookSecretKey}`,
      ...(secret ? { secret } : {}),
    } as NotifyTarget);
  }
  return { targets, problems };
}

/**
 * Posts a run's summary (when it planned or did something) and its advance notices to the rooms
 * the config names. Never throws: a room that cannot be reached is reported, and the run stands.
 */
export async function notifyRun(
  report: RunReport,
  config: HousekeepingConfig,
  webhooks: Readonly<Record<string, string>>,
  deps: { fetch?: typeof fetch; now: Clock },
): Promise<{ results: NotifyResult[]; problems: string[] }> {
  const results: NotifyResult[] = [];
  const problems: string[] = [];
  const acted = report.jobs.some((j) => j.totals.planned > 0 || j.totals.failed > 0 || j.status !== "ok");
  const notifyDeps = { fetch: deps.fetch ?? fetch, now: deps.now };
  try {
    if (acted) {
      const summary = notifyTargets(config, webhooks, "runSummaries");
      problems.push(...summary.problems);
      if (summary.targets.length > 0)
        results.push(...(await notifyRooms(summary.targets, formatRunSummary(report), notifyDeps)));
    }
    const notices = formatNotices(report, { timeZone: config.timezone });
    if (notices.length > 0) {
      const rooms = notifyTargets(config, webhooks, "notices");
      problems.push(...rooms.problems);
      for (const message of notices) {
        if (rooms.targets.length > 0)
          results.push(...(await notifyRooms(rooms.targets, message, notifyDeps)));
      }
    }
  } catch (error) {
    problems.push(`notifications: ${error instanceof Error ? error.message : String(error)}`);
  }
  return { results, problems: [...new Set(problems)] };
}
