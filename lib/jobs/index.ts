import type { AnyJob } from "../engine/job";
import type { ComputeUnit } from "../qianfan";
import { RELEASE_UNITS, releaseUnitsJob } from "./release-units/job";
import type { ReleaseUnitsPolicy } from "./release-units/plan";

export { RELEASE_UNITS, releaseUnitsJob } from "./release-units/job";
export type { ReleaseUnitsPolicy, UnitMark } from "./release-units/plan";
export { planUnitReleases } from "./release-units/plan";

/** Every job by name, in the order `all` runs them. */
export const JOB_NAMES = [RELEASE_UNITS] as const;
export type JobName = (typeof JOB_NAMES)[number];

/** True when `name` is a job this build knows. */
export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}

export interface JobSettings {
  releaseUnits: {
    enabled: boolean;
    policy: ReleaseUnitsPolicy;
    protectedBy: (unit: ComputeUnit) => string | undefined;
  };
}

/** Builds the jobs a run asks for (`all` = every enabled job). */
export function buildJobs(selection: string, settings: JobSettings): AnyJob[] {
  const jobs: Array<{ name: JobName; enabled: boolean; make: () => AnyJob }> = [
    {
      name: RELEASE_UNITS,
      enabled: settings.releaseUnits.enabled,
      make: () =>
        releaseUnitsJob({
          policy: settings.releaseUnits.policy,
          protectedBy: settings.releaseUnits.protectedBy,
        }),
    },
  ];
  if (selection === "all") return jobs.filter((j) => j.enabled).map((j) => j.make());
  const job = jobs.find((j) => j.name === selection);
  return job ? [job.make()] : [];
}
