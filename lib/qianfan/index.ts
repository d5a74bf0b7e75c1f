// The library's public face. Its assumptions (./assumptions.ts) are imported from their file: only
// `qfhk doctor` reads them, and a function that imports this face does not carry their text.
export * from "./actions";
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
export { eachInTurns, ITEMS_PER_TURN } from "./turns";
