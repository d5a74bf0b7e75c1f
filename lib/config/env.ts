/** The environment variables the project reads: this module is the one place process.env is read. */
export interface HousekeeperEnv {
  QIANFAN_ACCESS_KEY?: string;
  QIANFAN_SECRET_KEY?: string;
  QIANFAN_CONSOLE_API_BASE_URL?: string;
  /** The config file (default housekeeping.yml, else the shipped example). */
  QFHK_CONFIG?: string;
  /** Overrides state.path of the config. */
  QFHK_STATE_PATH?: string;
  /** The Secrets Manager secret holding `{"accessKey", "secretKey"}` (deployments). */
  QFHK_SECRET_ARN?: string;
  /** The DynamoDB table of remembered state (deployments). */
  QFHK_STATE_TABLE?: string;
  /** "true" / "false": a stage's dry-run setting, over the config's `dryRun`. */
  QFHK_DRY_RUN?: string;
  /** The chat worker function the chat webhook hands commands to (deployments). */
  QFHK_CHAT_WORKER?: string;
  /** Chat platform secrets as JSON (local runs; deployments read them from the stage's secret). */
  QFHK_CHAT_SECRETS?: string;
  /**
   * Local runs only: a stand-in for the chat platforms' reply routes on this machine (the one
   * `qfhk chat --url` starts). Replies and sessionWebhooks must then point under it.
   */
  QFHK_CHAT_REPLIES_URL?: string;
}

/** Reads the project's variables from the environment. */
export function readEnv(env: Record<string, string | undefined> = process.env): HousekeeperEnv {
  const pick = (name: keyof HousekeeperEnv) => {
    const value = env[name]?.trim();
    return value === "" ? undefined : value;
  };
  return {
    QIANFAN_ACCESS_KEY: pick("QIANFAN_ACCESS_KEY"),
    QIANFAN_SECRET_KEY: pick("QIANFAN_SECRET_KEY"),
    QIANFAN_CONSOLE_API_BASE_URL: pick("QIANFAN_CONSOLE_API_BASE_URL"),
    QFHK_CONFIG: pick("QFHK_CONFIG"),
    QFHK_STATE_PATH: pick("QFHK_STATE_PATH"),
    QFHK_SECRET_ARN: pick("QFHK_SECRET_ARN"),
    QFHK_STATE_TABLE: pick("QFHK_STATE_TABLE"),
    QFHK_DRY_RUN: pick("QFHK_DRY_RUN"),
    QFHK_CHAT_WORKER: pick("QFHK_CHAT_WORKER"),
    QFHK_CHAT_SECRETS: pick("QFHK_CHAT_SECRETS"),
    QFHK_CHAT_REPLIES_URL: pick("QFHK_CHAT_REPLIES_URL"),
  };
}

/** The process's environment, for the entry points that pass it on (the one place it is read). */
export function processEnv(): Record<string, string | undefined> {
  return process.env;
}
