/** The environment variables the project reads: this module is the one place process.env is read. */
export interface HousekeeperEnv {
  QIANFAN_ACCESS_KEY?: string;
  QIANFAN_SECRET_KEY?: string;
  QIANFAN_CONSOLE_API_BASE_URL?: string;
  /** The config file (default housekeeping.yml, else the shipped example). */
  QFHK_CONFIG?: string;
  /** Overrides state.path of the config. */
  QFHK_STATE_PATH?: string;
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
  };
}
