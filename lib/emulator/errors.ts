/**
 * Where an error code of the emulator comes from: a platform page or official SDK file that
 * documents it, or nowhere — then the emulator invented it, and nothing may rely on its spelling.
 */
export type CodeSource = { documented: string } | { invented: string };

export interface ErrorCodeEntry {
  /** The HTTP status the emulator answers the code with. */
  status: number;
  /** The platform's message for the code; a throw site may give a more precise one. */
  message: string;
  source: CodeSource;
}

const BCE_COMMON =
  "BCE common error codes (公共错误码), https://cloud.baidu.com/doc/BCC/s/Ojwvyo6nc and https://cloud.baidu.com/doc/CFS/s/Tm4minwta";

/**
 * Every error code the emulator answers with. The throw sites and the fault injector take theirs
 * from here; server.ts and auth.ts still spell theirs as literals, and test/emulator/
 * error-codes.test.ts checks that each answered code is in this table with its status. A targeted
 * fault rule may play any code on purpose. lib/emulator/README.md ("Error codes") follows it.
 */
export const ERROR_CODES = {
  AccessDenied: { status: 403, message: "Access denied.", source: { documented: BCE_COMMON } },
  InvalidAccessKeyId: {
    status: 403,
    message: "The Access Key ID you provided does not exist in our records.",
    source: { documented: BCE_COMMON },
  },
  SignatureDoesNotMatch: {
    status: 403,
    message: "The request signature we calculated does not match the signature you provided.",
    // The code is in the BCE SDK's list of common codes; the status is the one the project's
    // reference gives — the BCE table rows read for this did not reach it.
    source: { documented: `${BCE_COMMON}; status per ../shared/reference/qianfan-console-api.md` },
  },
  RequestExpired: { status: 400, message: "Request has expired.", source: { documented: BCE_COMMON } },
  InvalidURI: {
    status: 400,
    message: "Could not parse the specified URI.",
    source: { documented: BCE_COMMON },
  },
  MalformedJSON: {
    status: 400,
    message: "The JSON you provided was not well-formed.",
    source: { documented: BCE_COMMON },
  },
  /**
   * Well-formed JSON that is wrong for the operation: BCE names "a required item is missing" and
   * "the value type does not match"; the emulator also uses it for a request the resource's state
   * does not allow. The emulator's message starts with the field path and says what is wrong.
   */
  InappropriateJSON: {
    status: 400,
    message: "The JSON you provided was well-formed and valid, but not appropriate for this operation.",
    source: { documented: BCE_COMMON },
  },
  InternalError: {
    status: 500,
    message: "We encountered an internal error. Please try again.",
    source: { documented: BCE_COMMON },
  },
  /**
   * Qianfan's QPS limit. The code and message are documented; the HTTP status is not: Qianfan's
   * rate-limit page shows its numeric limit codes in HTTP 200 bodies (inference API), and the
   * console's throttling status is unconfirmed. The emulator answers 429, the HTTP status for
   * "too many requests", because its qps limit sends Retry-After, which only means something on
   * 429/503; a 200 carrying the code can be injected with a targeted fault.
   */
  "18": {
    status: 429,
    message: "Open api qps request limit reached",
    source: {
      documented:
        "bce-qianfan-sdk python/qianfan/consts.py (APIErrorCode.QPSLimitReached = 18, in ConsoleRetryErrCodes); message from Qianfan's error-code list (错误码说明)",
    },
  },
  ServiceUnavailable: {
    status: 503,
    message: "Service is temporarily unavailable.",
    source: { invented: "not in the BCE common list; stands for a gateway's 503" },
  },
  NotFound: {
    status: 404,
    message: "No console API is served at this path.",
    source: { invented: "no documented code for a route the console does not serve" },
  },
  MethodNotAllowed: {
    status: 405,
    message: "The console API takes POST.",
    source: { invented: "no documented code for a method other than POST" },
  },
  InvalidAction: {
    status: 400,
    message: "The Action does not exist.",
    source: { invented: "no documented code for an unknown Action" },
  },
  RequestEntityTooLarge: {
    status: 413,
    message: "The request body is too large.",
    source: { invented: "no documented code for an oversized body" },
  },
  InstanceNotFound: {
    status: 404,
    message: "The instance does not exist.",
    source: { invented: "BCE asks services for a specific not-found code; Qianfan's is not documented" },
  },
  ServiceNotFound: {
    status: 404,
    message: "The service does not exist.",
    source: { invented: "BCE asks services for a specific not-found code; Qianfan's is not documented" },
  },
  TaskNotFound: {
    status: 404,
    message: "The batch inference task does not exist.",
    source: { invented: "BCE asks services for a specific not-found code; Qianfan's is not documented" },
  },
} as const satisfies Record<string, ErrorCodeEntry>;

export type EmulatorCode = keyof typeof ERROR_CODES;

/** True when `code` is in {@link ERROR_CODES}. */
export function isEmulatorCode(code: string): code is EmulatorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** An error answer of the emulated platform: a code of {@link ERROR_CODES} and its HTTP status. */
export class EmulatorError extends Error {
  // The class keeps its name in minified bundles too: `constructor.name` says what `name` says.
  static override readonly name: string = "EmulatorError";
  override name = "EmulatorError";
  readonly status: number;
  readonly code: EmulatorCode;

  constructor(code: EmulatorCode, message: string = ERROR_CODES[code].message) {
    super(message);
    this.code = code;
    this.status = ERROR_CODES[code].status;
  }
}

/**
 * The platform's answer to a request that is well-formed JSON but wrong for the operation: 400
 * InappropriateJSON, the message naming the field first (`instanceId: …`) and saying what is wrong.
 */
export function invalidParameter(field: string, problem: string): EmulatorError {
  return new EmulatorError("InappropriateJSON", `${field}: ${problem}`);
}
