// The listener's deadlines and caps, through raw sockets: silent, half-sent and dripping
// connections are closed at the stage they stall in, idle HTTP/2 sessions get GOAWAY, a session
// waiting on a slow answer is left alone, and connections over the caps are refused and reported.

import * as http2 from "node:http2";
import * as net from "node:net";
import { once } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { createCleartextListener } from "../src/listener.ts";
import type { CleartextListener, ConnectionCut } from "../src/listener.ts";
import type { ConnectionLimits } from "../src/config/settings.ts";

const short: ConnectionLimits = {
  firstBytesTimeoutMs: 300,
  headersTimeoutMs: 500,
  requestTimeoutMs: 2_000,
  idleTimeoutMs: 300,
  maxConnections: 1_000,
  maxConnectionsPerPeer: 1_000,
};

let listener: CleartextListener | undefined;
afterEach(async () => {
  listener?.destroy();
  await listener?.closed;
  listener = undefined;
});

/** A listener whose handler answers "ok" after `delayMs`; `cuts` collects what it reports. */
async function start(limits: Partial<ConnectionLimits> = {}, delayMs = 0) {
  const cuts: ConnectionCut[] = [];
  listener = createCleartextListener({
    handler: (_req, res) => {
      setTimeout(() => res.end("ok"), delayMs);
    },
    limits: { ...short, ...limits },
    onCut: (cut) => cuts.push(cut),
  });
  const { port } = await listener.listen(0, "127.0.0.1");
  return { port, cuts };
}

function connect(port: number, localAddress = "127.0.0.1"): Promise<net.Socket> {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress });
  socket.on("error", () => {});
  return once(socket, "connect").then(() => socket);
}

/** Resolves with what the server sent once it closed the connection. */
async function closedBy(socket: net.Socket): Promise<string> {
  let received = "";
  socket.on("data", (data: Buffer) => (received += data.toString("latin1")));
  if (!socket.closed) await once(socket, "close");
  return received;
}

describe("connection deadlines", () => {
  it("closes 200 silent connections once the first-bytes deadline passes", async () => {
    const { port, cuts } = await start();
    const sockets = await Promise.all(Array.from({ length: 200 }, () => connect(port)));
    await Promise.all(sockets.map(closedBy));
    expect(cuts).toHaveLength(200);
    expect(cuts.every((cut) => cut.kind === "timeout" && cut.stage === "first_bytes")).toBe(true);
  });

  it("closes connections that sent part of the HTTP/2 preface and stopped", async () => {
    const { port, cuts } = await start();
    const sockets = await Promise.all(Array.from({ length: 50 }, () => connect(port)));
    for (const socket of sockets) socket.write("PRI * HTTP/2.0\r\n");
    await Promise.all(sockets.map(closedBy));
    expect(cuts.filter((cut) => cut.kind === "timeout" && cut.stage === "first_bytes")).toHaveLength(50);
  });

  it("sends GOAWAY to HTTP/2 sessions that never open a stream, then closes them", async () => {
    const { port, cuts } = await start();
    const sessions = Array.from({ length: 50 }, () => http2.connect(`http://127.0.0.1:${port}`));
    const goaways = sessions.map((session) => {
      session.on("error", () => {});
      return once(session, "goaway");
    });
    await Promise.all(goaways);
    await Promise.all(sessions.map((session) => (session.closed ? undefined : once(session, "close"))));
    expect(cuts.filter((cut) => cut.kind === "timeout" && cut.stage === "idle")).toHaveLength(50);
  });

  it("answers 408 and closes HTTP/1.1 requests whose headers drip in too slowly", async () => {
    const { port, cuts } = await start();
    const sockets = await Promise.all(Array.from({ length: 50 }, () => connect(port)));
    const drips = sockets.map((socket) => {
      socket.write("POST /geminiconnect.v1.GenerativeService/GenerateContent HTTP/1.1\r\nHost: x\r\n");
      return setInterval(() => socket.writable && socket.write("X-Drip: 1\r\n"), 100);
    });
    try {
      const answers = await Promise.all(sockets.map(closedBy));
      expect(answers.every((answer) => answer.startsWith("HTTP/1.1 408 "))).toBe(true);
    } finally {
      drips.forEach(clearInterval);
    }
    expect(cuts.filter((cut) => cut.kind === "timeout" && cut.stage === "headers")).toHaveLength(50);
  });

  it("leaves an HTTP/2 session alone while its stream waits longer than the idle deadline", async () => {
    const { port, cuts } = await start({}, 3 * short.idleTimeoutMs);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const stream = session.request({ ":path": "/slow" });
      stream.setEncoding("utf8");
      let body = "";
      stream.on("data", (data: string) => (body += data));
      await once(stream, "end");
      expect(body).toBe("ok");
      expect(cuts).toEqual([]);
      // And once the stream is done, the idle deadline applies again.
      await once(session, "goaway");
    } finally {
      session.destroy();
    }
  });

  it("closes an HTTP/1.1 keep-alive connection that stays idle after its response", async () => {
    const { port } = await start();
    const socket = await connect(port);
    socket.write("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    const answer = await closedBy(socket);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nok$/);
  });
});

describe("connection caps", () => {
  it("refuses connections from one peer above its cap, and takes them again once one closes", async () => {
    const { port, cuts } = await start({ maxConnectionsPerPeer: 5, firstBytesTimeoutMs: 60_000 });
    const held = await Promise.all(Array.from({ length: 5 }, () => connect(port)));
    const refused = await connect(port);
    expect(await closedBy(refused)).toBe("");
    expect(cuts).toEqual([{ kind: "refused", reason: "per_peer" }]);

    // Another peer address is not held to the first one's cap.
    const other = await connect(port, "127.0.0.2");
    other.write("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    expect(await closedBy(other)).toMatch(/^HTTP\/1\.1 200 OK/);

    held[0]?.destroy();
    await once(held[0]!, "close");
    const again = await waitForAcceptance(port);
    expect(await closedBy(again)).toMatch(/^HTTP\/1\.1 200 OK/);
    held.forEach((socket) => socket.destroy());
  });

  it("refuses connections above the total cap, whatever their peer", async () => {
    const { port, cuts } = await start({ maxConnections: 3, firstBytesTimeoutMs: 60_000 });
    const held = await Promise.all([connect(port), connect(port, "127.0.0.2"), connect(port, "127.0.0.3")]);
    const refused = await connect(port, "127.0.0.4");
    expect(await closedBy(refused)).toBe("");
    expect(cuts).toEqual([{ kind: "refused", reason: "total" }]);
    held.forEach((socket) => socket.destroy());
  });
});

/**
 * A connection the server keeps: the server notices a client's close a moment after the client
 * does, so a connection made in between may still be refused; each refusal is one of those.
 */
async function waitForAcceptance(port: number): Promise<net.Socket> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const socket = await connect(port);
    socket.write("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const [data] = await Promise.race([once(socket, "data"), once(socket, "close").then(() => [undefined])]);
    if (data !== undefined) {
      socket.unshift(data as Buffer);
      return socket;
    }
  }
  throw new Error("the listener never took a connection again");
}

describe("connection cuts, as an operator sees them", () => {
  it("counts refusals and timeouts in /metrics and logs them once, naming the setting", async () => {
    const { startHarness } = await import("./support/harness.ts");
    const harness = await startHarness({ connections: { ...short, maxConnectionsPerPeer: 2, firstBytesTimeoutMs: 300 } });
    try {
      const port = Number(new URL(harness.baseUrl).port);
      const held = await Promise.all([connect(port), connect(port)]);
      const refused = await Promise.all([connect(port), connect(port), connect(port)]);
      await Promise.all([...held, ...refused].map(closedBy));
      const metrics = await (await fetch(`${harness.baseUrl}/metrics`)).text();
      expect(metrics).toMatch(/^gemini_connections_refused_total\{reason="per_peer"\} 3$/m);
      expect(metrics).toMatch(/^gemini_connection_timeouts_total\{stage="first_bytes"\} 2$/m);
      const lines = harness.logs.filter((line) => typeof line["setting"] === "string" && String(line["setting"]).startsWith("CONNECTION_"));
      expect(lines).toEqual([
        expect.objectContaining({ level: 40, setting: "CONNECTION_LIMIT_PER_PEER", connections: 1, msg: "connections refused: too many open" }),
        expect.objectContaining({ level: 30, setting: "CONNECTION_FIRST_BYTES_TIMEOUT_MS", connections: 1, stage: "first_bytes" }),
      ]);
    } finally {
      await harness.close();
    }
  });
});
