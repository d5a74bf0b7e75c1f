/** An error answer of the emulated platform: the HTTP status and the `code` its body carries. */
export class EmulatorError extends Error {
  override name = "EmulatorError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A 400 InvalidParameter naming the field, the platform's answer to a bad request body. */
export function invalidParameter(field: string, problem: string): EmulatorError {
  return new EmulatorError(400, "InvalidParameter", `${field}: ${problem}`);
}
