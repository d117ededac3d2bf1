// The tests `npm run mutation` (Stryker) runs against each mutant: the fast, in-process ones that
// reach the mutated files. Spawned gateways are out: a mutant in this process never reaches them.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/mutation-guards/**/*.test.ts",
      "test/retry.test.ts",
      "test/generative-policy.test.ts",
      "test/handlers.test.ts",
      "test/errors.test.ts",
      "test/limits.test.ts",
      "test/auth.test.ts",
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
