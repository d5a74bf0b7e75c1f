export * from "./actions";
export * from "./client";
export * from "./credentials";
export * from "./errors";
export * from "./operations";
export * from "./schemas";
export {
  formatBceTimestamp,
  parseAuthorization,
  signRequest,
  type SignInput,
  type Signature,
} from "./signer";
