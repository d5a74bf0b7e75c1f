export { type VerifyInput, type VerifyResult, verifyAuthorization } from "./auth";
export { runEmulatorCommand } from "./cli";
export { EmulatorClock } from "./clock";
export type { FaultOptions, FaultRule } from "./faults";
export { type Fleet, FleetError, loadFleetFile, type ParsedFleet, parseFleet } from "./fleet";
export {
  DEMO_CREDENTIALS,
  type EmulatorOptions,
  type RequestLogEntry,
  type RunningEmulator,
  startEmulator,
} from "./server";
export { EmulatorError, EmulatorState } from "./state";
