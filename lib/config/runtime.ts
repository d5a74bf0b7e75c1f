// The config module without the YAML reader: what the functions import (through lib/app and
// lib/chat), so their bundles carry no YAML parser. The CLI imports ./index, which adds it.
// The protections (./protection) are imported from their file by the jobs' code alone: the chat
// worker loads them with its jobs, on demand. No glob compiler either: the compiled config brings
// its globs' regexes (./glob); picomatch is the YAML path's (./glob-compiler, through ./load).
// No schema or validator: the compiled config was validated when it was packaged (./compiled).
export { COMPILED_CONFIG_PATH, loadCompiledConfig, parseCompiledConfig } from "./compiled";
export { Duration, formatDuration, parseDuration } from "./duration";
export { type HousekeeperEnv, processEnv, readEnv } from "./env";
export { ConfigError, type LoadedConfig } from "./file";
export { clientPacing } from "./pacing";
export type { HousekeepingConfig } from "./schema";
export { TpmModelId } from "./tpm-model";
