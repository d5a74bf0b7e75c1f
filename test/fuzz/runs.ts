/**
 * How many cases each fuzz property runs: 10,000 in `npm test` (CI), `QFHK_FUZZ_RUNS` in
 * `npm run test:soak` (1,000,000). Seeded by `QFHK_FUZZ_SEED` (default fixed), so a failure repeats.
 */
export const FUZZ_RUNS = Number(process.env.QFHK_FUZZ_RUNS ?? 10_000);

/** How many random fleets and histories each planner property runs: small in CI, 100,000 in the soak. */
export const PLANNER_RUNS = Number(process.env.QFHK_PLANNER_RUNS ?? 1_000);

export const FUZZ_SEED = Number(process.env.QFHK_FUZZ_SEED ?? 20261203);

/** fast-check options: the count, the seed, and no time limit per property beyond the test's. */
export const fuzz = (numRuns = FUZZ_RUNS) => ({ numRuns, seed: FUZZ_SEED });
