import { expect, it } from "vitest";

/**
 * CI runs the suite a second time with the wall clock moved (QFHK_TEST_CLOCK_SHIFT_DAYS, loaded by
 * test/support/shifted-clock.mjs through NODE_OPTIONS). This checks the move really happened, so a
 * green second pass means "green on another date", not "ran on the same date twice".
 */
it("runs on the wall clock CI asked for", () => {
  const days = Number(process.env.QFHK_TEST_CLOCK_SHIFT_DAYS ?? "0");
  const monotonicWallClock = performance.timeOrigin + performance.now();
  const shift = Date.now() - monotonicWallClock;
  expect(Math.abs(shift - days * 86_400_000)).toBeLessThan(60_000);
  // biome-ignore lint/complexity/useDateNow: the constructor with no argument is what is checked here.
  expect(Math.abs(new Date().valueOf() - Date.now())).toBeLessThan(60_000);
});
