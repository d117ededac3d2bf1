// A real redis-server of the test's own: a free port on 127.0.0.1, nothing written to disk, and
// controls to take it away (kill), freeze it (SIGSTOP) and bring it back on the same port.

import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";

export interface RedisServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** SIGKILL: gone at once, as in a crash. */
  kill(): Promise<void>;
  /** A new server on the same port, empty. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the port still accepts connections, but nothing answers. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child = await spawnRedis(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async kill() {
      await stop(child);
    },
    async restart() {
      await stop(child);
      child = await spawnRedis(port);
    },
    pause() {
      child.kill("SIGSTOP");
    },
    resume() {
      child.kill("SIGCONT");
    },
    async close() {
      child.kill("SIGCONT");
      await stop(child);
    },
  };
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmpdir()],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const ready = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout?.on("data", (data: Buffer) => {
      output += data.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(deadline);
        resolve();
      }
    });
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      reject(
        error.code === "ENOENT"
          ? new Error("redis-server is not installed: `apt-get install -y redis-server` (.ci/run does it)")
          : error,
      );
    });
    child.once("exit", (code) => {
      clearTimeout(deadline);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  await ready;
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
