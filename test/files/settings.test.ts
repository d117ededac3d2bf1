// The files settings: defaults, refusals that name the variable, and a spool directory that cannot
// be made stopping the start.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/settings.ts";

describe("files settings", () => {
  it("default to Gemini's 2 GiB, twice that for the spool, under the OS temporary directory", () => {
    expect(loadConfig({ GEMINI_BACKEND: "emulator" }).files).toEqual({
      maxFileBytes: 2 * 1024 ** 3,
      spoolDir: join(tmpdir(), "gemini-connect-spool"),
      spoolMaxBytes: 4 * 1024 ** 3,
    });
  });

  it.each([
    [{ FILES_MAX_BYTES: "3000000000" }, 'FILES_MAX_BYTES must be an integer from 1 to 2147483648, got "3000000000"'],
    [{ FILES_MAX_BYTES: "1000", FILES_SPOOL_MAX_BYTES: "999" }, "FILES_SPOOL_MAX_BYTES (999) must be at least FILES_MAX_BYTES (1000), or the largest file could never be spooled"],
    [{ FILES_SPOOL_DIR: "spool" }, 'FILES_SPOOL_DIR must be an absolute path, got "spool"'],
  ])("refuse %o naming the variable", (env, message) => {
    expect(() => loadConfig({ GEMINI_BACKEND: "emulator", ...env })).toThrow(message);
  });

  it("stop the start, exit 2, when the spool directory cannot be made", async () => {
    const dir = await mkdtemp(join(tmpdir(), "files-settings-"));
    const notADirectory = join(dir, "a-file");
    await writeFile(notADirectory, "");
    const child = spawn(process.execPath, ["src/main.ts"], {
      env: { PATH: process.env["PATH"] ?? "", HOST: "127.0.0.1", PORT: "0", FILES_SPOOL_DIR: join(notADirectory, "spool") },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
    const [code] = await once(child, "exit");
    await rm(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(stderr).toContain(`gemini-connect: bad setting: FILES_SPOOL_DIR ${join(notADirectory, "spool")}: ENOTDIR`);
  });
});
