// The tests `npm run mutation` (Stryker) runs against each mutant: the fast ones that reach the
// mutated files in this process. Spawned gateways are out (a mutant never reaches them), and so are
// the socket suites (errors, auth, limits) whose in-memory twins are in test/mutation-guards:
// they would only add minutes.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: [
      "test/mutation-guards/**/*.test.ts",
      "test/retry.test.ts",
      "test/generative-policy.test.ts",
      "test/handlers.test.ts",
    ],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
