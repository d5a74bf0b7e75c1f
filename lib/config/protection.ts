import type { BatchTask, ComputeUnit } from "../qianfan";
import { globMatcher } from "./glob";
import type { HousekeepingConfig, ProtectionRule, TaskProtection } from "./schema";

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

/** A protection rule: field → glob (`reason` is only shown). */
type Rule = { reason?: string } & Record<string, string | undefined>;

/**
 * Describes the first rule whose every field matches the resource (globs; a field the resource
 * lacks never matches), e.g. "rule instanceId 'unit-prod-*' (production)", or undefined. It reads
 * after "protected by", whatever words the rule's reason is in.
 */
export function findProtection(
  rules: readonly Rule[],
  resource: Record<string, string | undefined>,
): string | undefined {
  return compileProtections(rules)(resource);
}

/**
 * A glob of plain characters only (letters, digits, `_`, `-`, `.`; not starting with `.` or `-`):
 * picomatch matches such a glob to the one name equal to it, so it can be looked up instead of
 * tested (test/config/config.test.ts holds this to picomatch).
 */
const PLAIN_GLOB = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * {@link findProtection} with every glob compiled once, for the many resources of one listing: a
 * rule per bound service times a fleet of units is too many compilations to make per unit. A rule
 * of one plain field (a bound unit's id, a region) is looked up by its value, so a resource is
 * tested against the rules with globs only; the first rule that matches still wins.
 */
export function compileProtections(
  rules: readonly Rule[],
): (resource: Record<string, string | undefined>) => string | undefined {
  /** Per field, the first plain single-field rule of each value, by its place in `rules`. */
  const plain = new Map<string, Map<string, number>>();
  const globbed: { at: number; tests: { key: string; isMatch: (value: string) => boolean }[] }[] = [];
  const describe: string[] = [];
  for (const rule of rules) {
    const fields = Object.entries(rule).filter(([key, pattern]) => key !== "reason" && pattern !== undefined);
    if (fields.length === 0) continue;
    const words = fields.map(([key, pattern]) => `${key} '${pattern}'`).join(", ");
    const at = describe.push(`rule ${words}${rule.reason ? ` (${rule.reason})` : ""}`) - 1;
    const [key, pattern] = fields[0]!;
    if (fields.length === 1 && PLAIN_GLOB.test(pattern!)) {
      const values = plain.get(key) ?? new Map<string, number>();
      if (!values.has(pattern!)) values.set(pattern!, at);
      plain.set(key, values);
      continue;
    }
    globbed.push({ at, tests: fields.map(([k, p]) => ({ key: k, isMatch: globMatcher(p!) })) });
  }
  return (resource) => {
    let first = Number.POSITIVE_INFINITY;
    for (const [key, values] of plain) {
      const value = resource[key];
      const at = value === undefined ? undefined : values.get(value);
      if (at !== undefined && at < first) first = at;
    }
    for (const rule of globbed) {
      if (rule.at > first) break;
      let matches = true;
      for (const { key, isMatch } of rule.tests) {
        const value = resource[key];
        if (value === undefined || !isMatch(value)) {
          matches = false;
          break;
        }
      }
      if (matches) return describe[rule.at];
    }
    return Number.isFinite(first) ? describe[first] : undefined;
  };
}

/** The unit-shaped matcher the release-units job uses. */
export function unitProtection(rules: readonly ProtectionRule[]): (unit: ComputeUnit) => string | undefined {
  const find = compileProtections(rules);
  return (unit) =>
    find({
      instanceId: unit.instanceId,
      creator: unit.creator,
      region: unit.region,
      type: unit.type,
    });
}

/** The task-shaped matcher the stop-batch-tasks job uses. */
export function taskProtection(rules: readonly TaskProtection[]): (task: BatchTask) => string | undefined {
  const find = compileProtections(rules);
  return (task) => find({ taskId: task.taskId, name: task.name, model: task.modelId });
}

/** A glob the config's code matches, and where it is written (a key path, or the built-in rules). */
export interface GlobUse {
  pattern: string;
  path: string;
}

/**
 * Every glob a config has matched: its protection rules' fields (the built-in rules' too), the
 * bound units (release-units protects them as parked), service names and task limits.
 */
export function globsUsedBy(config: HousekeepingConfig): GlobUse[] {
  const uses: GlobUse[] = [];
  const add = (pattern: string | undefined, path: string) => {
    if (pattern !== undefined) uses.push({ pattern, path });
  };
  const addRules = (rules: readonly Rule[], path: string) =>
    rules.forEach((rule, i) => {
      for (const [key, pattern] of Object.entries(rule))
        if (key !== "reason") add(pattern, `${path}.${i}.${key}`);
    });
  const jobs = config.jobs;
  addRules(BUILTIN_PROTECTIONS, "(built-in protections)");
  addRules(jobs["release-units"].protect, "jobs.release-units.protect");
  jobs["scale-services"].services.forEach((binding, i) => {
    add(binding.name, `jobs.scale-services.services.${i}.name`);
    add(binding.instanceId, `jobs.scale-services.services.${i}.instanceId`);
  });
  jobs["stop-batch-tasks"].limits.forEach((limit, i) => {
    add(limit.name, `jobs.stop-batch-tasks.limits.${i}.name`);
    add(limit.model, `jobs.stop-batch-tasks.limits.${i}.model`);
  });
  addRules(jobs["stop-batch-tasks"].protect, "jobs.stop-batch-tasks.protect");
  return uses;
}
