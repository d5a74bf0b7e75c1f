export { FileStateStore, StateFileError } from "./file-store";
export {
  JobMemory,
  type ResourceMark,
  type RestoreTarget,
  type RunMemo,
  type Snooze,
} from "./job-memory";
export { MemoryStateStore } from "./memory-store";
export { assertResourceId, checkResourceId } from "./resource-id";
export type { AuditRecord, LockResult, StateChange, StateStore } from "./types";
