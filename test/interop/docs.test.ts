// Every command of the README's and docs/'s sh blocks, run as written against a running gateway (its
// address in place of localhost:8080 and in GEMINI_CONNECT_ADDR), after the lines before it in its
// block, as a user pastes them into one shell. A command that is not run says why; a new one that is
// neither fails, so the documentation cannot drift from what works.
// The shell is a newcomer's: PATH without node_modules/.bin or .tools/bin (the docs must say `npx` or
// the step that installs a tool), so `node` is the system's, whatever its version.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCaller } from "../support/callers.ts";
import { docFiles, shellCommands } from "../support/docs.ts";
import type { ShellCommand } from "../support/docs.ts";
import { startHarness } from "../support/harness.ts";
import type { Harness } from "../support/harness.ts";
import { goTool, python, run, tool } from "./support.ts";

type Treatment = { readonly run: "setup" | "gateway" } | { readonly notRun: string };

/** What each kind of command gets; the first pattern that matches decides. */
const treatments: readonly [RegExp, Treatment][] = [
  [/^(export [A-Z_]+=|[A-Z_]+=\$\()/, { run: "setup" }],
  [/^npm ci && npm test$/, { notRun: "it is this test run" }],
  [/(^|&& )npm start$/, { notRun: "starts the server: test/npm-start.test.ts runs `npm start` as written; here a test gateway stands in" }],
  [/^bash scripts\/install-tools\.sh\b/, { notRun: "npm test runs it first (pretest): the tools these tests use come from it" }],
  [/^npm run bench\b/, { notRun: "minutes long: test/bench.test.ts runs `npm run bench -- --tiny`" }],
  [/^go install github\.com\/bojand\/ghz\//, { notRun: "installs ghz from the network; npm run bench runs ghz when it is installed" }],
  [/^ghz /, { notRun: "a load run: npm run bench runs it when ghz is installed" }],
  [/grpc\.health\.v1\.Health\/Watch/, { notRun: "Watch never ends by itself: test/health.test.ts follows it through a drain" }],
  [/^(docker |GEMINI_BACKEND=emulator docker compose |for port in 8080 8081 )/, { notRun: "needs a Docker engine: .ci/run builds and runs the image (scripts/container-check.sh); compose was run by hand" }],
  [
    /^(grpcurl|npx buf curl|curl|printf|npx node examples\/ts\/|\.tools\/venv\/bin\/python examples\/python\/|go -C examples\/go run|GEMINI_CONNECT_KEY=\$KEY )/,
    { run: "gateway" },
  ],
];

function treatment(command: string): Treatment | undefined {
  const withoutComment = command.replace(/\s+#.*$/, "");
  return treatments.find(([pattern]) => pattern.test(withoutComment))?.[1];
}

const commands = docFiles.flatMap(shellCommands);
const runs = commands.filter((c) => {
  const t = treatment(c.command);
  return t !== undefined && "run" in t && t.run === "gateway";
});

let open: Harness;
let guarded: Harness;
let caller: ReturnType<typeof testCaller>;
let env: NodeJS.ProcessEnv;
let curlHome: string;
beforeAll(async () => {
  tool("grpcurl");
  tool("buf");
  python();
  goTool();
  caller = testCaller("docs");
  [open, guarded] = await Promise.all([startHarness(), startHarness({ callers: [caller.caller] })]);
  // For curl: no progress meter on stderr, and an HTTP error status fails the command.
  curlHome = mkdtempSync(join(tmpdir(), "gemini-connect-curl-"));
  writeFileSync(join(curlHome, ".curlrc"), "silent\nshow-error\nfail\n");
  const path = (process.env["PATH"] ?? "").split(delimiter).filter((dir) => !/node_modules[/\\]\.bin|\.tools[/\\]bin/.test(dir));
  env = { ...process.env, PATH: path.join(delimiter), CURL_HOME: curlHome };
  delete env["GEMINI_CONNECT_KEY"];
});
afterAll(async () => {
  await Promise.all([open?.close(), guarded?.close()]);
  if (curlHome !== undefined) rmSync(curlHome, { recursive: true, force: true });
});

/** Runs a command as written, after the setup lines of its block, against the right gateway. */
async function runAsWritten({ command, before }: ShellCommand): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const withKey = command.includes("$KEY");
  const gateway = withKey ? guarded : open;
  const address = new URL(gateway.baseUrl).host;
  const setup = before.filter((line) => (treatment(line) as { run?: string } | undefined)?.run === "setup");
  const script = ["set -eo pipefail", ...setup, command].join("\n").replaceAll("localhost:8080", address);
  return run("bash", ["-c", script], {
    env: { ...env, GEMINI_CONNECT_ADDR: address, ...(withKey ? { KEY: caller.key } : {}) },
    killAfterMs: 90_000,
  });
}

describe("the commands of README.md and docs/*.md", () => {
  it("are each run, or listed with the reason they are not", () => {
    const unknown = commands.filter((c) => treatment(c.command) === undefined).map((c) => `${c.file}: ${c.command}`);
    expect(unknown).toEqual([]);
    expect(runs.length).toBeGreaterThanOrEqual(40);
  });

  it.each(runs.map((c) => [`${c.file}: ${c.command}`, c] as const))("%s", async (_, command) => {
    const { code, stdout, stderr } = await runAsWritten(command);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout.trim()).not.toBe("");
  }, 120_000);
});
