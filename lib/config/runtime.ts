// The config module without the YAML reader: what the functions import (through lib/app and
// lib/chat), so their bundles carry no YAML parser. The CLI imports ./index, which adds it.
export { COMPILED_CONFIG_PATH, loadCompiledConfig, parseCompiledConfig } from "./compiled";
export { Duration, formatDuration, parseDuration } from "./duration";
export { type HousekeeperEnv, processEnv, readEnv } from "./env";
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
export { ConfigError, type LoadedConfig } from "./validate";
