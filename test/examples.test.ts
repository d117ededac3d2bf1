// The TS examples users copy, run as users run them, against a live gateway: they cannot rot.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";

const run = promisify(execFile);
let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

async function example(file: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [`examples/ts/${file}`, ...args], {
    env: { ...process.env, GATEWAY_URL: harness.baseUrl },
    timeout: 15_000,
  });
  return stdout;
}

describe("examples/ts", () => {
  it("stream.ts prints the streamed answer", async () => {
    expect(await example("stream.ts", "streamed to stdout")).toBe("streamed to stdout\n");
  });

  it("parallel.ts prints every answer, numbered", async () => {
    expect(await example("parallel.ts", "first one", "second one")).toBe("[1] first one\nfirst one\n\n[2] second one\nsecond one\n\n");
  });

  it("unary.ts prints the answer and the token counts", async () => {
    expect(await example("unary.ts", "just three words")).toBe("just three words\n(prompt: 3 tokens, answer: 3 tokens)\n");
  });
});
