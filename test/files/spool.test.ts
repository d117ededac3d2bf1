// The upload spool: bytes on disk as they arrive, a cap on the total held, nothing left behind.
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createSpool } from "../../src/files/spool.ts";

let base: string;
beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), "spool-test-"));
});
afterEach(async () => {
  await rm(base, { recursive: true, force: true });
});

async function spoolDirs(): Promise<string[]> {
  return readdir(base);
}

describe("spool", () => {
  it("writes the bytes to a private file and deletes it on release, once however often it is released", async () => {
    const spool = createSpool({ dir: base, maxBytes: 1000 });
    const file = await spool.create(11);
    await file.write(new TextEncoder().encode("hello "));
    await file.write(new TextEncoder().encode("world"));
    await file.finish();
    expect(file.written).toBe(11);
    expect(await readFile(file.path, "utf8")).toBe("hello world");
    expect((await stat(file.path)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(file.path))).mode & 0o777).toBe(0o700);

    await Promise.all([file.release(), file.release()]);
    await expect(stat(file.path)).rejects.toMatchObject({ code: "ENOENT" });
    expect(spool.reservedBytes).toBe(0);
    await spool.close();
  });

  it("refuses a file that does not fit beside the others with ResourceExhausted, and takes it once room is freed", async () => {
    const spool = createSpool({ dir: base, maxBytes: 100 });
    const first = await spool.create(60);
    const refused = await spool.create(50).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((refused as ConnectError).rawMessage).toBe(
      "the upload spool is full (60 of 100 bytes held by uploads in progress); try again later",
    );
    await first.release();
    const second = await spool.create(50);
    expect(spool.reservedBytes).toBe(50);
    await second.release();
    await spool.close();
  });

  it("deletes every file and its directory on close, even files still being written, and refuses new ones after", async () => {
    const spool = createSpool({ dir: base, maxBytes: 1000 });
    const writing = await spool.create(100);
    await writing.write(new Uint8Array(10));
    const done = await spool.create(5);
    await done.write(new Uint8Array(5));
    await done.finish();
    expect(await spoolDirs()).toHaveLength(1);

    await spool.close();
    expect(await spoolDirs()).toEqual([]);
    expect(spool.reservedBytes).toBe(0);
    await expect(writing.write(new Uint8Array(1))).rejects.toThrow();
    expect(((await spool.create(1).catch((error: unknown) => error)) as ConnectError).code).toBe(Code.Unavailable);
  });
});
