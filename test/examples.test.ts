// The examples users copy, in TypeScript, Python and Go, run as programs against a live gateway: each
// one prints what a user expects, and sends Gemini what its comment promises (system instruction,
// generation parameters, the chat's history, the image), as the emulator received it.

import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testCaller } from "./support/callers.ts";
import { startHarness } from "./support/harness.ts";
import type { Harness } from "./support/harness.ts";
import { goTool, python, repoRoot, run } from "./interop/support.ts";
import type { Ran } from "./interop/support.ts";

type Example = "stream" | "parallel" | "generate" | "config" | "chat" | "image" | "files";
type Language = "ts" | "python" | "go";

/** How each language runs an example: its Node 24, the tools' Python, a binary from `go build`. */
const runners: Record<Language, (example: Example, args: string[], env: NodeJS.ProcessEnv) => Promise<Ran>> = {
  ts: (example, args, env) => run(process.execPath, [`examples/ts/${example}.ts`, ...args], { env }),
  python: (example, args, env) => {
    const file = example === "parallel" ? "stream_async" : example;
    const pythonPath = { PYTHONPATH: py.env["PYTHONPATH"], PYTHONDONTWRITEBYTECODE: "1" };
    return run(py.command, [`examples/python/${file}.py`, ...args], { env: { ...env, ...pythonPath } });
  },
  go: (example, args, env) => run(join(goBinaries, example), args, { env }),
};
const languages = Object.keys(runners) as Language[];

let harness: Harness;
let py: ReturnType<typeof python>;
let goBinaries: string;

beforeAll(async () => {
  py = python();
  goBinaries = await mkdtemp(join(tmpdir(), "gemini-connect-examples-"));
  // -mod=readonly: a go.mod or go.sum that needs changing fails here instead of being rewritten.
  const built = await run(goTool(), ["build", "-mod=readonly", "-o", `${goBinaries}/`, "./..."], {
    cwd: join(repoRoot, "examples/go"),
    killAfterMs: 170_000,
  });
  if (built.code !== 0) throw new Error(`go build in examples/go failed (${built.code}): ${built.stderr}`);
  harness = await startHarness();
}, 180_000);
afterAll(async () => {
  await harness?.close();
  if (goBinaries !== undefined) await rm(goBinaries, { recursive: true, force: true });
});

/** Runs an example against the harness; expects a clean exit and returns stdout and what Gemini was sent. */
async function example(language: Language, name: Example, ...args: string[]): Promise<{ stdout: string; sent: unknown[] }> {
  const before = harness.emulator.requests.length;
  const { code, stdout, stderr } = await runners[language](name, args, {
    ...process.env,
    GEMINI_CONNECT_ADDR: new URL(harness.baseUrl).host,
  });
  expect(stderr).toBe("");
  expect(code).toBe(0);
  return { stdout, sent: harness.emulator.requests.slice(before).map((request) => request.body) };
}

const user = (text: string) => ({ role: "user", parts: [{ text }] });

describe.each(languages)("the %s examples", (language) => {
  it("stream: prints the answer as it streams", async () => {
    const { stdout, sent } = await example(language, "stream", "Why is the sky blue?");
    expect(stdout).toBe("Why is the sky blue?\n");
    expect(sent).toEqual([expect.objectContaining({ contents: [user("Why is the sky blue?")] })]);
  });

  it("parallel: asks every question at once, prints each answer numbered", async () => {
    const { stdout, sent } = await example(language, "parallel", "first one", "second one");
    expect(stdout).toBe("[1] first one\nfirst one\n\n[2] second one\nsecond one\n\n");
    expect(sent).toHaveLength(2);
  });

  it("generate: prints one whole answer, then the token counts", async () => {
    const { stdout } = await example(language, "generate", "just three words");
    expect(stdout).toBe("just three words\n(prompt: 3 tokens, answer: 3 tokens)\n");
  });

  it("config: sends the system instruction and the generation parameters", async () => {
    const { stdout, sent } = await example(language, "config", "Why is the sky blue?");
    expect(stdout).toBe("Why is the sky blue?\n");
    expect(sent).toEqual([
      expect.objectContaining({
        systemInstruction: { parts: [{ text: "Answer in one short paragraph, for a ten-year-old." }] },
        contents: [user("Why is the sky blue?")],
        generationConfig: { temperature: 0.5, maxOutputTokens: 200, stopSequences: ["\n\n"], thinkingConfig: { thinkingBudget: 0 } },
      }),
    ]);
  });

  it("config: says when the answer was cut at the longest answer it allows", async () => {
    const { stdout } = await example(language, "config", ...Array<string>(201).fill("word"));
    expect(stdout).toBe(`${"word ".repeat(200)}\n[stopped: MAX_TOKENS]\n`);
  });

  it("chat: every turn carries the conversation so far, Gemini's turns included", async () => {
    const { stdout, sent } = await example(language, "chat", "I have 2 dogs in my house.", "How many paws are in my house?");
    expect(stdout).toBe("> I have 2 dogs in my house.\nI have 2 dogs in my house.\n\n> How many paws are in my house?\nHow many paws are in my house?\n\n");
    const second = sent[1] as { contents: { role: string; parts: { text: string }[] }[] };
    expect(second.contents.map((turn) => [turn.role, turn.parts.map((part) => part.text).join("")])).toEqual([
      ["user", "I have 2 dogs in my house."],
      ["model", "I have 2 dogs in my house."],
      ["user", "How many paws are in my house?"],
    ]);
  });

  it("image: sends the image inline, with its MIME type, before the prompt", async () => {
    const { stdout, sent } = await example(language, "image", join(repoRoot, "examples/sky.png"), "Describe this image.");
    expect(stdout).toBe("Describe this image.\n");
    const png = readFileSync(join(repoRoot, "examples/sky.png")).toString("base64");
    expect(sent).toEqual([
      expect.objectContaining({
        contents: [{ role: "user", parts: [{ inlineData: { mimeType: "image/png", data: png } }, { text: "Describe this image." }] }],
      }),
    ]);
  });

  it("files: uploads the PDF in chunks, waits until it is ACTIVE, asks about it, deletes it", async () => {
    const pdf = join(goBinaries, `report-${language}.pdf`);
    const size = 3 * 1024 * 1024 + 5;
    await writeFile(pdf, Buffer.alloc(size, "%PDF-1.7 "));
    const before = harness.emulator.requests.length;
    const received = harness.emulator.files.bytesReceived;
    const ran = await runners[language]("files", [pdf, "Summarize", "this", "PDF."], {
      ...process.env,
      GEMINI_CONNECT_ADDR: new URL(harness.baseUrl).host,
    });
    expect(ran).toEqual({ code: 0, stdout: "Summarize this PDF.\n", stderr: "" });
    const [sent] = harness.emulator.requests.slice(before).map((request) => request.body);
    expect(harness.emulator.files.bytesReceived - received).toBe(size);
    expect(sent).toEqual(
      expect.objectContaining({
        contents: [
          {
            role: "user",
            parts: [
              { fileData: { fileUri: expect.stringMatching(new RegExp(`^${harness.emulator.url}/v1beta/files/[a-z0-9]+$`)), mimeType: "application/pdf" } },
              { text: "Summarize this PDF." },
            ],
          },
        ],
      }),
    );
    expect(harness.emulator.files.stored).toBe(0);
  });

  it("sends the caller key from GEMINI_CONNECT_KEY to a gateway that checks callers", async () => {
    const caller = testCaller(`${language}-example`);
    const guarded = await startHarness({ callers: [caller.caller] });
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, GEMINI_CONNECT_ADDR: new URL(guarded.baseUrl).host };
      delete env["GEMINI_CONNECT_KEY"];
      const withKey = await runners[language]("stream", ["hello", "with", "a", "key"], { ...env, GEMINI_CONNECT_KEY: caller.key });
      expect(withKey).toEqual({ code: 0, stdout: "hello with a key\n", stderr: "" });
      const without = await runners[language]("stream", ["hello"], env);
      expect(without.code).not.toBe(0);
      expect(without.stderr).toMatch(/unauthenticated/i);
    } finally {
      await guarded.close();
    }
  });
});
