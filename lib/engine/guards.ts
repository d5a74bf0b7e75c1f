import type { Inventory } from "./job";
import type { Decision, GuardStop } from "./types";

/** The guard settings a job runs under (config `guards`). */
export interface GuardPolicy {
  maxActionsPerRun: number;
  /** (0, 1]: the largest share of the fleet one run may act on. */
  maxFleetFraction: number;
  /** Act even when the listing is empty although the last run saw resources. */
  allowEmptyListing: boolean;
  /** Act on the valid items even when some items of the listing failed validation. */
  allowInvalidItems: boolean;
}

export interface ListingVerdict {
  stop?: GuardStop;
  warnings: string[];
}

/**
 * Checks that a listing can be trusted before anything is planned from it: items that failed
 * validation, or an empty listing where the last run saw resources, stop the job unless the user
 * overrode that guard explicitly (Cloud Custodian's empty-tags incident: acting on missing data).
 */
export function checkListing(
  inventory: Inventory<unknown>,
  lastListingCount: number | undefined,
  policy: GuardPolicy,
): ListingVerdict {
  const warnings: string[] = [];
  if (inventory.invalid.length > 0) {
    const sample = inventory.invalid
      .slice(0, 3)
      .map((item) => `${item.id ?? `item #${item.index}`}: ${item.problem}`)
      .join("; ");
    const more = inventory.invalid.length > 3 ? ` (and ${inventory.invalid.length - 3} more)` : "";
    const text = `${inventory.invalid.length} listed item(s) failed validation: ${sample}${more}`;
    if (!policy.allowInvalidItems) {
      return {
        stop: {
          guard: "invalid-listing",
          message: `${text}; nothing was changed (guards.allowInvalidItems overrides)`,
        },
        warnings,
      };
    }
    warnings.push(`${text}; acting on the valid items only (guards.allowInvalidItems is true)`);
  }
  const seen = inventory.items.length + inventory.invalid.length;
  if (seen === 0 && lastListingCount !== undefined && lastListingCount > 0) {
    const text = `the listing is empty but the last run saw ${lastListingCount} resource(s)`;
    if (!policy.allowEmptyListing) {
      return {
        stop: {
          guard: "empty-listing",
          message: `${text}; nothing was changed (guards.allowEmptyListing overrides)`,
        },
        warnings,
      };
    }
    warnings.push(`${text}; going on because guards.allowEmptyListing is true`);
  }
  return { warnings };
}

/**
 * The blast-radius cap (Custodian's max-resources / max-resources-percent): when the plan would act
 * on more resources than allowed, the whole job stops before any action.
 */
export function checkBlastRadius(
  decisions: Decision[],
  fleetSize: number,
  policy: GuardPolicy,
): GuardStop | undefined {
  const acts = decisions.filter((d) => d.verdict === "act").length;
  if (acts === 0) return undefined;
  if (acts > policy.maxActionsPerRun) {
    return {
      guard: "max-actions",
      message: `the plan has ${acts} actions, more than guards.maxActionsPerRun (${policy.maxActionsPerRun}); nothing was changed`,
    };
  }
  const fraction = fleetSize > 0 ? acts / fleetSize : 1;
  if (fraction > policy.maxFleetFraction) {
    const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;
    return {
      guard: "max-fleet-fraction",
      message: `the plan acts on ${acts} of ${fleetSize} resources (${percent(fraction)}), more than guards.maxFleetFraction (${percent(policy.maxFleetFraction)}); nothing was changed`,
    };
  }
  return undefined;
}
