// Purchases, apart from the other operations: only tpm-windows (at a window's start), `tpm buy` and
// the CLI buy anything, so QianfanApi loads this module with the first purchase (an on-demand chunk
// in a function's zip) and a run that buys nothing never loads it.
import type { ActionName } from "./actions";
import type { CallDefaults, CallOptions, CallResult } from "./client";
import { QianfanError, QianfanResponseError, QianfanUnknownOutcomeError } from "./errors";
import type { CheckedList, PurchaseOutcome } from "./operations";
import type { TpmInstance } from "./schemas";

/** What a purchase needs of the api that makes it. */
export interface PurchaseContext {
  /** A purchase request (PurchaseResult answers) with the api's call defaults. */
  call(
    action: ActionName,
    body: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<CallResult<{ instanceId: string }>>;
  verification: { listings: number; delayMs: number };
  maxPurchaseRequests: number;
  callDefaults: CallDefaults;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Buys postpaid TPM quota (seed 003); see QianfanApi.purchaseTpm. `listTpm` is the api's checked
 * listing of one model.
 */
export async function purchaseTpm(
  context: PurchaseContext,
  listTpm: (model: string) => Promise<CheckedList<TpmInstance>>,
  request: { model: string; purchaseCount: number; releaseTime?: string },
): Promise<PurchaseOutcome> {
  const billing = request.releaseTime
    ? { paymentTiming: "Postpaid", releaseTime: request.releaseTime }
    : { paymentTiming: "Postpaid" };
  // Unreadable items of the listing before the purchase: one that shows up only after it may be
  // the purchase or not, so it is neither adopted nor taken as the purchase's absence.
  let unreadableBefore: Set<string> | undefined;
  const list = async () => {
    const listing = await listTpm(request.model);
    const refuse = (detail: string) =>
      new QianfanResponseError({
        action: "DescribeTPMResource",
        requestId: listing.requestId,
        code: "InvalidListing",
        fields: ["instances"],
        detail,
      });
    const unnamed = listing.invalid.find((item) => item.id === undefined);
    if (unnamed) {
      throw refuse(
        `item ${unnamed.index} has no instanceId (${unnamed.problem}); a new purchase cannot be told from it`,
      );
    }
    const unreadable = listing.invalid.map((item) => item.id!);
    if (unreadableBefore === undefined) unreadableBefore = new Set(unreadable);
    const fresh = listing.invalid.find((item) => !unreadableBefore!.has(item.id!));
    if (fresh) {
      throw refuse(`new instance ${fresh.id} cannot be read (${fresh.problem}); not taken for the purchase`);
    }
    return [
      ...listing.items
        .filter((instance) => instance.paymentTiming === "Postpaid")
        .map((instance) => instance.instanceId),
      ...unreadable,
    ];
  };
  return purchaseOnce(
    context,
    "PurchaseTPMResource",
    { model: request.model, billing, purchaseCount: request.purchaseCount },
    list,
  );
}

/**
 * A purchase that is never bought twice: the instances that exist are listed first; a request
 * whose outcome is unknown is followed by listings that adopt the one new instance, and — only
 * with `maxPurchaseRequests` above 1 — sent again when they show none. Otherwise the caller gets
 * QianfanUnknownOutcomeError and must settle it later.
 */
export async function purchaseOnce(
  context: PurchaseContext,
  action: "PurchaseTPMResource" | "PurchaseComputeUnit",
  body: Record<string, unknown>,
  list: () => Promise<string[]>,
): Promise<PurchaseOutcome> {
  const before = new Set(await list());
  let lastError: unknown;
  for (let request = 1; request <= context.maxPurchaseRequests; request += 1) {
    try {
      const { result, requestId } = await context.call(action, body, {
        retry: "not-applied-only",
      });
      return {
        instanceId: result.instanceId,
        requestId,
        recoveredByListing: false,
        purchaseRequests: request,
      };
    } catch (error) {
      if (!(error instanceof QianfanError) || error.outcome !== "unknown") throw error;
      lastError = error;
    }
    const found = await findNewInstances(context, action, list, before, lastError);
    if (found.length === 1) {
      return {
        instanceId: found[0]!,
        requestId: (lastError as QianfanError).requestId,
        recoveredByListing: true,
        purchaseRequests: request,
      };
    }
    if (found.length > 1) {
      throw new QianfanUnknownOutcomeError({
        action,
        requestId: (lastError as QianfanError).requestId,
        detail: `the answer was lost and ${found.length} new instances appeared (${found.join(", ")}); not buying again`,
        cause: lastError,
      });
    }
  }
  throw new QianfanUnknownOutcomeError({
    action,
    requestId: (lastError as QianfanError | undefined)?.requestId,
    detail: `no answer${context.maxPurchaseRequests > 1 ? ` after ${context.maxPurchaseRequests} requests` : ""} and no new instance listed yet; the listing may lag, so look again later before buying again`,
    cause: lastError,
  });
}

/** Lists until a new instance shows up or the configured listings are used up. */
async function findNewInstances(
  context: PurchaseContext,
  action: string,
  list: () => Promise<string[]>,
  before: Set<string>,
  cause: unknown,
): Promise<string[]> {
  for (let listing = 1; listing <= context.verification.listings; listing += 1) {
    let ids: string[];
    try {
      ids = await list();
    } catch (listError) {
      throw new QianfanUnknownOutcomeError({
        action,
        requestId: (cause as QianfanError).requestId,
        detail: `the answer was lost and the check listing failed too (${describeError(listError)})`,
        cause,
      });
    }
    const fresh = ids.filter((id) => !before.has(id));
    if (fresh.length > 0) return fresh;
    if (listing < context.verification.listings) {
      const refused = await waitWithinDeadline(context, context.verification.delayMs);
      if (refused !== undefined) {
        // Absence is not proven without the remaining listings: buying again could buy twice.
        throw new QianfanUnknownOutcomeError({
          action,
          requestId: (cause as QianfanError).requestId,
          detail: `the answer was lost and ${refused} to look again; not buying again, look before buying again`,
          cause,
        });
      }
    }
  }
  return [];
}

/** Waits `ms` when the run's deadline and cancellation allow it; else says why not. */
async function waitWithinDeadline(context: PurchaseContext, ms: number): Promise<string | undefined> {
  const { signal, remainingMs } = context.callDefaults;
  if (signal?.aborted) return "the run was cancelled before it was time";
  const left = remainingMs?.();
  if (left !== undefined && left <= ms) {
    return `the deadline (${Math.max(0, Math.floor(left))} ms left) leaves no time for the ${ms} ms wait`;
  }
  try {
    await context.sleep(ms, signal);
  } catch {
    return "the run was cancelled before it was time";
  }
  return signal?.aborted ? "the run was cancelled before it was time" : undefined;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
