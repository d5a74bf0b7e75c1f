export { type DroppedField, parseDroppedField, withoutDroppedFields } from "./answer-shape";
export { type VerifyInput, type VerifyResult, verifyAuthorization } from "./auth";
export { runEmulatorCommand } from "./cli";
export { EmulatorClock } from "./clock";
export { EmulatorError } from "./errors";
export { ANSWER_FAULTS, type AnswerFault, type FaultKind, type FaultOptions, type FaultRule } from "./faults";
export { type Fleet, FleetError, loadFleetFile, type ParsedFleet, parseFleet } from "./fleet";
export {
  DEMO_CREDENTIALS,
  type EmulatorOptions,
  type RequestLogEntry,
  type RunningEmulator,
  startEmulator,
} from "./server";
export type { BusyRelease, EmulatorState } from "./state";
