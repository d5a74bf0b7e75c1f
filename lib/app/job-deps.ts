// What a job's handler needs, built once per container; the chat worker builds the same. Apart
// from the handlers (./lambda) so that the worker, which runs jobs only on some commands (and then
// loads them), does not import the runner with them.
import { secretsManagerCredentials } from "../aws/secrets";
import { CHAT_PLATFORMS } from "../chat/types";
import {
  COMPILED_CONFIG_PATH,
  clientPacing,
  type LoadedConfig,
  loadCompiledConfig,
  processEnv,
  readEnv,
} from "../config/runtime";
import { ResponseDates } from "../doctor/inputs";
import type { RunReport } from "../engine/types";
import {
  type CredentialsProvider,
  QianfanApi,
  QianfanClient,
  QianfanConfigError,
  readQianfanEnv,
  staticCredentials,
} from "../qianfan";
import type { StateStore } from "../state";
import type { JobEntry } from "./job-entries";
import type { RunLogger, RunMetrics } from "./observability";
import { locateState, openStateStore } from "./state-store";

export interface JobHandlerDeps {
  /** The jobs this function runs: its own (functions/*.ts), so it bundles no other job's code. */
  jobs: readonly JobEntry[];
  loaded: LoadedConfig;
  api: QianfanApi;
  store: StateStore;
  target: string;
  /** The stage's dry-run setting (QFHK_DRY_RUN), over the config's. */
  stageDryRun?: boolean;
  logger?: RunLogger;
  metrics?: RunMetrics;
  /** The answers' Date headers the client saw, for the doctor's clock check. */
  responses?: ResponseDates;
  /** Posts a run's summary and notices to the config's chat rooms; never throws. */
  notify?: (report: RunReport) => Promise<void>;
  /** The largest answer, as JSON, the handler returns (default `MAX_ANSWER_BYTES`, ./response-size). */
  maxAnswerBytes?: number;
}

/**
 * Builds what a job's handler needs, once per container: the bundled config (validated at cold
 * start), a client whose keys come from Secrets Manager (or the environment, for local runs), and
 * the state store the config names.
 */
export async function buildJobHandlerDeps(
  env: Record<string, string | undefined> = processEnv(),
  extra: {
    jobs?: readonly JobEntry[];
    credentials?: CredentialsProvider;
    logger?: RunLogger;
    metrics?: RunMetrics;
    dynamoClient?: unknown;
  } = {},
): Promise<JobHandlerDeps> {
  const vars = readEnv(env);
  const loaded = await loadCompiledConfig(vars.QFHK_CONFIG ?? COMPILED_CONFIG_PATH);
  const settings = readQianfanEnv(env);
  // Keys in the environment win (local runs: `serverless invoke local -e QIANFAN_ACCESS_KEY=…`);
  // deployed functions have none and read the stage's secret.
  let credentials =
    extra.credentials ?? (settings.credentials ? staticCredentials(settings.credentials) : undefined);
  if (!credentials && vars.QFHK_SECRET_ARN) {
    credentials = secretsManagerCredentials({ secretId: vars.QFHK_SECRET_ARN });
  }
  if (!credentials) {
    throw new QianfanConfigError(
      "no Qianfan keys: set QFHK_SECRET_ARN (deployments) or QIANFAN_ACCESS_KEY and QIANFAN_SECRET_KEY",
    );
  }
  const q = loaded.config.qianfan;
  const responses = new ResponseDates();
  const client = new QianfanClient({
    onEvent: responses.record,
    credentials,
    baseUrl: settings.baseUrl ?? q.baseUrl,
    pacing: clientPacing(q),
    retry: { retries: q.maxRetries },
    timeoutMs: q.timeoutSeconds * 1000,
  });
  const dryRunText = vars.QFHK_DRY_RUN?.toLowerCase();
  if (dryRunText !== undefined && dryRunText !== "true" && dryRunText !== "false") {
    throw new QianfanConfigError(`QFHK_DRY_RUN must be true or false, got '${vars.QFHK_DRY_RUN}'`);
  }
  return {
    jobs: extra.jobs ?? [],
    loaded,
    api: new QianfanApi(client),
    // An explicit state file wins (local runs); deployed functions use the stage's table.
    store: await openStateStore(locateState(loaded, env), loaded, { dynamoClient: extra.dynamoClient }),
    target: client.baseUrl.origin,
    stageDryRun: dryRunText === undefined ? undefined : dryRunText === "true",
    logger: extra.logger,
    metrics: extra.metrics,
    responses,
    notify: hasNotifications(loaded.config) ? roomNotifier(loaded.config, env, extra.logger) : undefined,
  };
}

/** True when the config asks for run summaries or notices in some chat room. */
function hasNotifications(config: LoadedConfig["config"]): boolean {
  return CHAT_PLATFORMS.some((platform) => config.chat?.[platform]?.notify !== undefined);
}

/**
 * Posts each run to the config's rooms; a room that cannot be reached is logged, never fatal. The
 * chat code is loaded on the first post (its own chunk in the function's zip).
 */
function roomNotifier(
  config: LoadedConfig["config"],
  env: Record<string, string | undefined>,
  logger: RunLogger | undefined,
): (report: RunReport) => Promise<void> {
  return async (report) => {
    try {
      const [{ readChatSecrets }, { notifyRun }] = await Promise.all([
        import("../chat/secrets"),
        import("../chat/notify-run"),
      ]);
      const secrets = await readChatSecrets(env);
      const { results, problems } = await notifyRun(report, config, secrets.webhooks ?? {}, {
        now: () => new Date(),
      });
      for (const problem of problems) logger?.warn("chat notification not sent", { problem });
      for (const r of results.filter((result) => !result.ok)) {
        logger?.warn("chat notification failed", { target: r.target, attempts: r.attempts, error: r.error });
      }
    } catch (error) {
      logger?.warn("chat notifications skipped", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
}
