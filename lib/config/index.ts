export { compileConfig, loadConfig, parseConfig, parseConfigWithWarnings } from "./load";
export * from "./runtime";
