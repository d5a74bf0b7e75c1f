export * from "./actions";
export * from "./assumptions";
export * from "./client";
export * from "./credentials";
export * from "./errors";
export * from "./operations";
export * from "./schemas";
export {
  formatBceTimestamp,
  parseAuthorization,
  type Signature,
  type SignInput,
  signRequest,
} from "./signer";
