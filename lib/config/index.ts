export { compileConfig, loadConfig, parseConfig, parseConfigWithWarnings } from "./load";
export {
  BUILTIN_PROTECTIONS,
  compileProtections,
  effectiveProtections,
  findProtection,
  taskProtection,
  unitProtection,
} from "./protection";
export * from "./runtime";
export { HousekeepingConfigSchema, isTimeZone } from "./schema";
