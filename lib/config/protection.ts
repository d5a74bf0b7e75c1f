import picomatch from "picomatch";
import type { ComputeUnit } from "../qianfan";
import type { ProtectionRule } from "./schema";

/**
 * Protections that are always in force, whatever the config says; user rules are added to these,
 * never put in their place (the peers' incident: a user list that dropped the defaults). The hard
 * rules — never a prepaid unit, never a busy one — live in the planners themselves; these cover
 * resources the platform or the project marks as not ours to touch.
 */
export const BUILTIN_PROTECTIONS: readonly ProtectionRule[] = [
  { creator: "system*", reason: "built-in: created by the platform" },
  { instanceId: "*-keep", reason: "built-in: ids ending in -keep" },
];

/** Built-in protections followed by the user's. */
export function effectiveProtections(userRules: readonly ProtectionRule[]): ProtectionRule[] {
  return [...BUILTIN_PROTECTIONS, ...userRules];
}

/** The resource fields a protection rule can match. */
export interface ProtectableFields {
  instanceId: string;
  creator?: string;
  region?: string;
  type?: string;
}

/** Describes the first rule that matches, e.g. "rule creator 'alice@*'", or undefined. */
export function findProtection(
  rules: readonly ProtectionRule[],
  resource: ProtectableFields,
): string | undefined {
  for (const rule of rules) {
    if (matches(rule, resource)) {
      const parts = (["instanceId", "region", "type", "creator"] as const)
        .filter((k) => rule[k] !== undefined)
        .map((k) => `${k} '${rule[k]}'`);
      return `${rule.reason ? `${rule.reason} — ` : ""}rule ${parts.join(", ")}`;
    }
  }
  return undefined;
}

function matches(rule: ProtectionRule, resource: ProtectableFields): boolean {
  const glob = (pattern: string | undefined, value: string | undefined) =>
    pattern === undefined ||
    (value !== undefined && picomatch.isMatch(value, pattern, { dot: true, nocase: false }));
  return (
    glob(rule.instanceId, resource.instanceId) &&
    glob(rule.creator, resource.creator) &&
    (rule.region === undefined || rule.region === resource.region) &&
    (rule.type === undefined || rule.type === resource.type)
  );
}

/** The unit-shaped matcher the release-units job uses. */
export function unitProtection(rules: readonly ProtectionRule[]): (unit: ComputeUnit) => string | undefined {
  return (unit) => findProtection(rules, unit);
}
