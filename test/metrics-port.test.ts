// GET /metrics on a port of its own (METRICS_PORT), by default in production: Prometheus finds it
// there, and the service port, open to callers, no longer lists every caller's use.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/settings.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator } from "../src/emulator/server.ts";
import { testCaller } from "./support/callers.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import type { GatewayProcess } from "./support/gateway-process.ts";
import { upstreamKey } from "./support/harness.ts";

describe("METRICS_PORT and METRICS_HOST", () => {
  const base = { GEMINI_API_KEY: "k", HOST: "10.0.0.5", PORT: "8080" };
  const production = { ...base, NODE_ENV: "production", AUTH_ALLOW_OPEN: "true" };

  it("default to 9090 on HOST in production", () => {
    expect(loadConfig(production).metrics).toEqual({ port: 9090, host: "10.0.0.5" });
  });

  it("leave /metrics on the service port outside production unless METRICS_PORT is set", () => {
    expect(loadConfig(base).metrics).toBeUndefined();
    expect(loadConfig({ ...base, METRICS_PORT: "9191", METRICS_HOST: "127.0.0.1" }).metrics).toEqual({ port: 9191, host: "127.0.0.1" });
  });

  it("refuse a bad port, or the service port, naming METRICS_PORT", () => {
    expect(() => loadConfig({ ...base, METRICS_PORT: "ninety" })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ ...production, METRICS_PORT: "8080" })).toThrow(/METRICS_PORT \(8080\) must differ from PORT/);
  });
});

describe("a production gateway", () => {
  let emulator: Emulator;
  let gateway: GatewayProcess;
  let dir: string;
  const alice = testCaller("alice");

  beforeAll(async () => {
    emulator = await startEmulator({ apiKey: upstreamKey });
    dir = mkdtempSync(join(tmpdir(), "gemini-connect-metrics-"));
    const callersFile = join(dir, "callers.json");
    writeFileSync(callersFile, JSON.stringify({ callers: [alice.entry] }));
    gateway = await startGatewayProcess({
      NODE_ENV: "production",
      GEMINI_API_KEY: upstreamKey,
      GEMINI_BASE_URL: emulator.url,
      CALLERS_FILE: callersFile,
      METRICS_PORT: "0",
    });
  });

  afterAll(async () => {
    await gateway?.stop();
    await emulator?.close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("serves /metrics on the metrics port, with the RPCs of the service port counted", async () => {
    const refused = await fetch(`${gateway.baseUrl}/geminiconnect.v1.GenerativeService/GenerateContent`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(refused.status).toBe(401);
    const at = gateway.logs().find((line) => line["msg"] === "gemini-connect listening")?.["metrics"];
    expect(at).toMatch(/^127\.0\.0\.1:\d+$/);
    const scrape = await fetch(`http://${String(at)}/metrics`);
    expect(scrape.status).toBe(200);
    expect(await scrape.text()).toMatch(/^grpc_server_handled_total\{[^}]*grpc_method="GenerateContent",grpc_code="Unauthenticated"\} 1$/m);
    expect((await fetch(`http://${String(at)}/readyz`)).status).toBe(404);
  });

  it("does not serve /metrics on the service port", async () => {
    const response = await fetch(`${gateway.baseUrl}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain("grpc_server");
  });
});
