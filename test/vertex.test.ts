// Vertex AI for real, offline: the SDK in Vertex mode against the emulator's Vertex URL shapes,
// with an express-mode key, and with a service-account key file whose OAuth token exchange runs
// for real (google-auth-library signs the JWT and posts it) against a local fake token endpoint.

import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import https from "node:https";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { GenerateContentRequestSchema, GenerativeService } from "../gen/ts/geminiconnect/v1/generative_service_pb.ts";
import { parseRouting } from "../src/config/routing-file.ts";
import { startEmulator } from "../src/emulator/server.ts";
import type { Emulator } from "../src/emulator/server.ts";
import { createGateway } from "../src/gateway.ts";
import { createLogger } from "../src/observe/logger.ts";
import { createUpstreamClients } from "../src/routing/clients.ts";
import { createPoolRouter } from "../src/routing/router.ts";
import { readStream, testCallPolicy } from "./support/harness.ts";

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A gateway whose one upstream is `upstream` (a routing file entry), pointed at `emulator`. */
async function gatewayOver(emulator: Emulator, upstream: Record<string, unknown>, env: Record<string, string>) {
  const table = parseRouting(JSON.stringify({ upstreams: [{ name: "vertex-a", backend: "vertex", baseUrl: emulator.url, ...upstream }] }), env);
  const logger = createLogger({ level: "silent" });
  const router = createPoolRouter({ table, clients: createUpstreamClients(table), logger });
  const gateway = createGateway({ router, logger, callPolicy: testCallPolicy, maxRequestBytes: 1 << 20 });
  const address = await gateway.start(0, "127.0.0.1");
  closers.push(() => gateway.stop(1000));
  const client = createClient(GenerativeService, createConnectTransport({ baseUrl: `http://127.0.0.1:${address.port}`, httpVersion: "1.1" }));
  return async (text: string) => {
    const headers = new Headers();
    const request = create(GenerateContentRequestSchema, { model: "models/gemini-2.5-flash", contents: [{ role: "user", parts: [{ data: { case: "text", value: text } }] }] });
    const { chunks, error } = await readStream(client, request, { onHeader: (h) => h.forEach((v, k) => headers.set(k, v)) });
    const answer = chunks.flatMap((chunk) => chunk.candidates[0]?.content?.parts ?? []).map((part) => String(part.data.value)).join("");
    return { answer, chunks: chunks.length, error, headers };
  };
}

describe("Vertex AI", () => {
  it("streams end to end with an express-mode key, on the publisher path", async () => {
    const key = "vertex-express-key-secret";
    const emulator = await startEmulator({ apiKey: key });
    closers.push(() => emulator.close());
    const stream = await gatewayOver(emulator, { apiKeyEnv: "VERTEX_EXPRESS_KEY" }, { VERTEX_EXPRESS_KEY: key });
    const result = await stream("hello vertex express");
    expect(result.error).toBeUndefined();
    expect(result.answer).toBe("hello vertex express");
    expect(result.chunks).toBeGreaterThan(1);
    expect(result.headers.get("x-gemini-upstream")).toBe("vertex-a");
    expect(emulator.requests[0]).toMatchObject({ apiVersion: "v1beta1", model: "gemini-2.5-flash", vertex: { project: undefined, location: undefined } });
  });

  it("streams end to end with a service account: the SDK exchanges a signed JWT for a token and sends it as Bearer", async () => {
    const accessToken = "ya29.offline-test-token";
    const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const exchanges: { grantType: string | null; claims: Record<string, unknown>; signatureValid: boolean }[] = [];
    const tokenServer = createServer((req, res) => {
      let body = "";
      req.on("data", (data: Buffer) => (body += data.toString()));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const [header = "", payload = "", signature = ""] = (form.get("assertion") ?? "").split(".");
        exchanges.push({
          grantType: form.get("grant_type"),
          claims: JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>,
          signatureValid: verify("sha256", Buffer.from(`${header}.${payload}`), publicKey, Buffer.from(signature, "base64url")),
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ access_token: accessToken, expires_in: 3600, token_type: "Bearer" }));
      });
    });
    await new Promise<void>((resolve) => tokenServer.listen(0, "127.0.0.1", resolve));
    closers.push(() => void tokenServer.close());
    const tokenPort = (tokenServer.address() as AddressInfo).port;
    // google-auth-library 10 posts to https://oauth2.googleapis.com/token whatever the key file's
    // token_uri says; that one host is sent to the local fake, in the clear, for this test only.
    const realAgent = https.globalAgent;
    https.globalAgent = new (class extends https.Agent {
      override createConnection(...args: Parameters<https.Agent["createConnection"]>) {
        const [options] = args as [{ host?: string }];
        if (options.host !== "oauth2.googleapis.com") return super.createConnection(...args);
        return connect(tokenPort, "127.0.0.1");
      }
    })();
    closers.push(() => void (https.globalAgent = realAgent));

    const dir = mkdtempSync(join(tmpdir(), "gc-vertex-"));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const keyFile = join(dir, "service-account.json");
    writeFileSync(
      keyFile,
      JSON.stringify({
        type: "service_account",
        project_id: "proj-1",
        private_key_id: "test-key-1",
        private_key: privateKey.export({ type: "pkcs8", format: "pem" }),
        client_email: "gateway@proj-1.iam.gserviceaccount.com",
        token_uri: `http://127.0.0.1:${tokenPort}/token`,
      }),
    );
    const emulator = await startEmulator({ bearerToken: accessToken });
    closers.push(() => emulator.close());
    const stream = await gatewayOver(emulator, { project: "proj-1", location: "us-central1", credentialsFile: keyFile }, {});

    const first = await stream("hello vertex service account");
    expect(first.error).toBeUndefined();
    expect(first.answer).toBe("hello vertex service account");
    expect((await stream("again")).answer).toBe("again");
    expect(emulator.requests.map((r) => r.vertex)).toEqual([
      { project: "proj-1", location: "us-central1" },
      { project: "proj-1", location: "us-central1" },
    ]);
    expect(emulator.requests[0]?.headers.authorization).toBe(`Bearer ${accessToken}`);
    // One exchange, cached for both calls: a JWT signed with the file's key, for Vertex's scope.
    expect(exchanges).toHaveLength(1);
    expect(exchanges[0]).toMatchObject({
      grantType: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      signatureValid: true,
      claims: { iss: "gateway@proj-1.iam.gserviceaccount.com", scope: "https://www.googleapis.com/auth/cloud-platform" },
    });
  });

  it("answers a wrong bearer token with Vertex's 401", async () => {
    const emulator = await startEmulator({ bearerToken: "right-token" });
    closers.push(() => emulator.close());
    const response = await fetch(`${emulator.url}/v1beta1/projects/p/locations/l/publishers/google/models/m:generateContent`, {
      method: "POST",
      headers: { authorization: "Bearer wrong-token", "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ parts: [{ text: "x" }] }] }),
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { status: string } }).error.status).toBe("UNAUTHENTICATED");
  });
});
