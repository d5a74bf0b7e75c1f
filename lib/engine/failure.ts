import { isQianfanError } from "../qianfan";

/** An error as a report carries it: message, code and requestId, no stack. */
export function describeFailure(error: unknown): {
  message: string;
  code?: string;
  requestId?: string;
  action?: string;
} {
  if (isQianfanError(error)) {
    const code = (error as { code?: unknown }).code;
    return {
      message: error.message,
      code: typeof code === "string" ? code : undefined,
      requestId: error.requestId,
      action: error.action,
    };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}
