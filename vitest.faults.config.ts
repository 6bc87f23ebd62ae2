import { defineConfig } from "vitest/config";

// The fault suite: cases that need minutes (kill -9 loops, long intake outages).
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: "forks",
    fileParallelism: false,
  },
});
