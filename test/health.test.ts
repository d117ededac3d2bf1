// grpc.health.v1 and the HTTP probes through a real socket: Check, List, Watch (driven by status
// changes), NOT_SERVING and the end of every Watch once the gateway drains.

import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Client } from "@connectrpc/connect";
import * as http from "node:http";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/ts/grpc/health/v1/health_pb.ts";
import type { HealthCheckResponse } from "../gen/ts/grpc/health/v1/health_pb.ts";
import { createHealthStatus, createProbeHandler } from "../src/grpc/health.ts";
import { protocols, startHarness, transportFor } from "./support/harness.ts";
import type { Harness, Protocol } from "./support/harness.ts";

const generative = "geminiconnect.v1.GenerativeService";

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(async () => {
  await harness.close();
});

const healthClient = (protocol: Protocol = "grpc"): Client<typeof Health> => createClient(Health, transportFor(protocol, harness.baseUrl));

/** Reads a Watch stream one message at a time. */
function watch(client: Client<typeof Health>, service: string, signal?: AbortSignal) {
  const stream = client.watch({ service }, { signal })[Symbol.asyncIterator]();
  return async (): Promise<HealthCheckResponse> => {
    const next = await stream.next();
    if (next.done === true) throw new Error("Watch ended");
    return next.value;
  };
}

describe.each(protocols)("Health over %s", (protocol) => {
  it("Check answers for the server as a whole and for the service, NotFound for others", async () => {
    const client = healthClient(protocol);
    expect((await client.check({ service: "" })).status).toBe(Status.SERVING);
    expect((await client.check({ service: generative })).status).toBe(Status.SERVING);
    const failure = await client.check({ service: "no.such.Service" }).catch((e: unknown) => ConnectError.from(e));
    expect(failure).toBeInstanceOf(ConnectError);
    expect((failure as ConnectError).code).toBe(Code.NotFound);
  });

  it("List gives every known service's status", async () => {
    const { statuses } = await healthClient(protocol).list({});
    expect(Object.fromEntries(Object.entries(statuses).map(([name, s]) => [name, s.status]))).toEqual({
      "": Status.SERVING,
      "geminiconnect.v1.FileService": Status.SERVING,
      [generative]: Status.SERVING,
      "google.ai.generativelanguage.v1beta.GenerativeService": Status.SERVING,
    });
  });
});

describe("Watch", () => {
  it("sends the current status at once, then each change as it happens", async () => {
    const abort = new AbortController();
    const next = watch(healthClient(), generative, abort.signal);
    expect((await next()).status).toBe(Status.SERVING);
    harness.gateway.health.set(generative, Status.NOT_SERVING);
    expect((await next()).status).toBe(Status.NOT_SERVING);
    expect((await healthClient().check({ service: generative })).status).toBe(Status.NOT_SERVING);
    harness.gateway.health.set(generative, Status.SERVING);
    expect((await next()).status).toBe(Status.SERVING);
    abort.abort();
  });

  it("keeps the call open for an unknown service, and tells when it becomes known", async () => {
    const abort = new AbortController();
    const next = watch(healthClient("connect-h2"), "later.v1.Service", abort.signal);
    expect((await next()).status).toBe(Status.SERVICE_UNKNOWN);
    harness.gateway.health.set("later.v1.Service", Status.SERVING);
    expect((await next()).status).toBe(Status.SERVING);
    abort.abort();
  });

  it("does not send a change of another service", async () => {
    const abort = new AbortController();
    const next = watch(healthClient(), "", abort.signal);
    expect((await next()).status).toBe(Status.SERVING);
    harness.gateway.health.set("other.v1.Service", Status.UNKNOWN);
    harness.gateway.health.set("", Status.NOT_SERVING);
    // The next message is the change of "" itself, not the other service's UNKNOWN.
    expect((await next()).status).toBe(Status.NOT_SERVING);
    harness.gateway.health.set("", Status.SERVING);
    expect((await next()).status).toBe(Status.SERVING);
    abort.abort();
  });
});

async function get(url: string, method = "GET"): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { method });
  return { status: response.status, body: await response.text() };
}

async function getOverHttp2(origin: string, path: string): Promise<{ status: number; body: string }> {
  const session = http2.connect(origin);
  try {
    const stream = session.request({ ":path": path });
    const [headers] = (await new Promise((resolve) => stream.once("response", (h) => resolve([h])))) as [http2.IncomingHttpHeaders];
    let body = "";
    stream.setEncoding("utf8").on("data", (data: string) => (body += data));
    await new Promise((resolve) => stream.once("end", resolve));
    return { status: Number(headers[":status"]), body };
  } finally {
    session.close();
  }
}

describe("HTTP probes", () => {
  it("GET /readyz is 200 ok while serving, 503 while the server as a whole is not", async () => {
    expect(await get(`${harness.baseUrl}/readyz`)).toEqual({ status: 200, body: "ok\n" });
    harness.gateway.health.set("", Status.NOT_SERVING);
    try {
      expect(await get(`${harness.baseUrl}/readyz`)).toEqual({ status: 503, body: "not serving\n" });
      // Liveness is not readiness: the process still answers.
      expect(await get(`${harness.baseUrl}/healthz`)).toEqual({ status: 200, body: "ok\n" });
    } finally {
      harness.gateway.health.set("", Status.SERVING);
    }
  });

  it("answer over HTTP/2 too, HEAD without a body, other methods 405, other paths 404", async () => {
    expect(await getOverHttp2(harness.baseUrl, "/readyz?probe=lb")).toEqual({ status: 200, body: "ok\n" });
    expect(await get(`${harness.baseUrl}/readyz`, "HEAD")).toEqual({ status: 200, body: "" });
    expect((await get(`${harness.baseUrl}/readyz`, "POST")).status).toBe(405);
    expect((await get(`${harness.baseUrl}/nope`)).status).toBe(404);
  });

  it("/readyz is 503 draining once the statuses drain", async () => {
    const status = createHealthStatus();
    const server = http.createServer(createProbeHandler({ status }));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await get(`${url}/readyz`)).status).toBe(200);
      status.drain();
      status.set("", Status.SERVING); // ignored: draining is for good
      expect(await get(`${url}/readyz`)).toEqual({ status: 503, body: "draining\n" });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("when the gateway drains", () => {
  it("every status turns NOT_SERVING, and each Watch gets it and then ends with Unavailable", async () => {
    const draining = await startHarness();
    try {
      const client = createClient(Health, transportFor("grpc", draining.baseUrl));
      const overall = watch(client, "");
      const service = watch(client, generative);
      const unknown = watch(client, "unknown.v1.Service");
      expect((await overall()).status).toBe(Status.SERVING);
      expect((await service()).status).toBe(Status.SERVING);
      expect((await unknown()).status).toBe(Status.SERVICE_UNKNOWN);

      // A long grace: were the Watch calls to stay open, stop() would outlast the test.
      const stopped = draining.gateway.stop(60_000);
      expect((await overall()).status).toBe(Status.NOT_SERVING);
      expect((await service()).status).toBe(Status.NOT_SERVING);
      for (const next of [overall, service, unknown]) {
        const end = await next().catch((e: unknown) => ConnectError.from(e));
        expect(end).toBeInstanceOf(ConnectError);
        expect((end as ConnectError).code).toBe(Code.Unavailable);
      }
      expect(draining.gateway.health.get(generative)).toBe(Status.NOT_SERVING);
      expect(draining.gateway.health.draining).toBe(true);
      await stopped;
    } finally {
      await draining.emulator.close();
    }
  });
});
