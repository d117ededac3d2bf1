// The grpcurl, buf curl and curl lines of the README's Debugging section, run as written against a running gateway
// (its port in place of 8080), so that the documentation cannot drift from what works.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { readmeSection } from "../support/readme.ts";
import { repoRoot, run, tool } from "./support.ts";


/** Every command line of the doc's sh blocks that calls the server. */
function commands(): string[] {
  const text = readmeSection("Debugging");
  const blocks = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  return blocks
    .flatMap((block) => block.split("\n"))
    .map((line) => line.trim())
    .filter((line) => /^(grpcurl|npx buf curl|curl) /.test(line));
}

// Watch never ends by itself: health.test.ts covers it.
const runs = commands().filter((line) => !line.includes("grpc.health.v1.Health/Watch"));

let harness: Harness;
let env: NodeJS.ProcessEnv;
let curlHome: string;
beforeAll(async () => {
  tool("grpcurl");
  tool("buf");
  harness = await startHarness();
  // For curl: no progress meter on stderr, and an HTTP error status fails the command.
  curlHome = mkdtempSync(join(tmpdir(), "gemini-connect-curl-"));
  writeFileSync(join(curlHome, ".curlrc"), "silent\nshow-error\nfail\n");
  env = {
    ...process.env,
    PATH: `${join(repoRoot, ".tools/bin")}:${join(repoRoot, "node_modules/.bin")}:${process.env["PATH"] ?? ""}`,
    CURL_HOME: curlHome,
  };
});
afterAll(async () => {
  await harness?.close();
  if (curlHome !== undefined) rmSync(curlHome, { recursive: true, force: true });
});

describe("the commands of the README's Debugging section", () => {
  it("are there to run", () => {
    expect(runs.length).toBeGreaterThanOrEqual(15);
  });

  it.each(runs)("%s", async (line) => {
    const address = new URL(harness.baseUrl).host;
    const { code, stdout, stderr } = await run("bash", ["-c", line.replaceAll("localhost:8080", address)], { env });
    expect(stderr.replace(/^npm warn .*\n/gm, "")).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim()).not.toBe("");
  });
});
