import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    // Hang guards, not speed checks: end-to-end tests start child processes, and a loaded 2-core
    // machine may take many times longer than an idle one.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: "forks",
    // Most test files wait on sockets and child processes (the emulator, serverless, the CLI), not
    // on the CPU: three at once finish the suite in about half the time of one on two cores.
    maxWorkers: 3,
  },
});
