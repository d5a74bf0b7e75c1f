export { Duration, formatDuration, parseDuration } from "./duration";
export { type HousekeeperEnv, processEnv, readEnv } from "./env";
export { ConfigError, type LoadedConfig, loadConfig, parseConfig, parseConfigWithWarnings } from "./load";
export {
  BUILTIN_PROTECTIONS,
  effectiveProtections,
  findProtection,
  taskProtection,
  unitProtection,
} from "./protection";
export {
  type HousekeepingConfig,
  HousekeepingConfigSchema,
  isTimeZone,
  ProtectionRule,
  type TaskProtection,
  TpmModelId,
} from "./schema";
