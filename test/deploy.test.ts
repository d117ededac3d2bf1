// The deployment files agree with the code: the Dockerfile, deploy/compose.yaml and
// deploy/kubernetes/ use the port the gateway listens on, probe paths it serves, settings it reads
// (and accepts: the gateway is started with each one's settings and callers file), drains that end
// before the stop timeouts, and a non-root user. scripts/container-check.sh builds and runs the image.

import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";

/** Docker's default `docker stop` timeout, and what the gateway's stop adds after the drain. */
const dockerStopTimeoutMs = 10_000;
const stopMarginMs = 1_000;

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const kubernetesDir = "deploy/kubernetes";
const manifestFiles = readdirSync(kubernetesDir).filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml");
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(kubernetesDir, file), "utf8")).map((document) => document.toJS() as Manifest),
);
const ofKind = (kind: string): Manifest => {
  const found = manifests.filter((manifest) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!;
};
const deployment = ofKind("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const containerEnv = new Map<string, { value?: string; valueFrom?: any }>(
  container.env.map((entry: { name: string }) => [entry.name, entry]),
);
// merge: the gateways share their settings through a YAML merge key (<<: *gateway).
const compose = parse(readFileSync("deploy/compose.yaml", "utf8"), { merge: true });
const gateways = Object.entries(compose.services).filter(([name]) => name.startsWith("gateway")) as [string, any][];
const dockerfile = readDockerfile();

/** The final stage of the Dockerfile: its ENV, USER, EXPOSE, CMD and HEALTHCHECK. */
function readDockerfile() {
  const text = readFileSync("Dockerfile", "utf8").replace(/\\\n/g, " ");
  const lines = text.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("#"));
  const from = lines.filter((line) => /^FROM\s/i.test(line)).map((line) => line.split(/\s+/)[1] ?? "");
  const finalStage = lines.slice(lines.findLastIndex((line) => /^FROM\s/i.test(line)));
  const argsOf = (keyword: string) =>
    finalStage.filter((line) => line.toUpperCase().startsWith(`${keyword} `)).map((line) => line.slice(keyword.length).trim());
  const env = new Map(argsOf("ENV").flatMap((args) => args.split(/\s+/).map((pair) => pair.split("=", 2) as [string, string])));
  return {
    from,
    env,
    user: argsOf("USER")[0] ?? "",
    expose: argsOf("EXPOSE").flatMap((args) => args.split(/\s+/)),
    cmd: JSON.parse(argsOf("CMD")[0] ?? "[]") as string[],
    healthcheck: argsOf("HEALTHCHECK")[0] ?? "",
  };
}

/** Every src/ file's text, however src/ is laid out. */
function sources(dir = "src"): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [readFileSync(path, "utf8")] : [];
  });
}

/** The environment variables the code reads: `env["X"]`, `env.X`, or a helper's `(env, "X"`. */
function settingsRead(): Set<string> {
  const names = sources().flatMap((text) => [...text.matchAll(/\benv(?:\s*,\s*"|\s*\[\s*"|\.)([A-Z][A-Z0-9_]*)/g)]);
  return new Set(names.map((match) => match[1]!));
}

function milliseconds(duration: string): number {
  const match = /^(\d+)(ms|s|m)$/.exec(duration);
  if (match === null) throw new Error(`not a duration: ${duration}`);
  return Number(match[1]) * { ms: 1, s: 1_000, m: 60_000 }[match[2] as "ms" | "s" | "m"];
}

/** Starts the image's CMD on this machine with `env` (on the emulator), and answers its probe paths. */
async function startGateway(env: Record<string, string>) {
  const [, ...args] = dockerfile.cmd;
  const child = spawn(process.execPath, args, {
    // METRICS_PORT: a free port rather than production's 9090, which another test may hold.
    env: { PATH: process.env["PATH"] ?? "", ...env, GEMINI_BACKEND: "emulator", HOST: "127.0.0.1", PORT: "0", METRICS_PORT: "0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
  let port: number | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    const record = line.startsWith("{") ? (JSON.parse(line) as { msg?: string; address?: string }) : {};
    if (record.msg === "gemini-connect listening") {
      port = Number(record.address?.split(":").at(-1));
      break;
    }
  }
  child.stdout.resume();
  if (port === undefined) throw new Error(`the gateway did not start: ${stderr}`);
  return {
    status: async (path: string) => (await fetch(`http://127.0.0.1:${port}${path}`)).status,
    stop: async () => {
      child.kill("SIGTERM");
      const [code] = await once(child, "exit");
      return code as number;
    },
  };
}

/** The settings the gateway takes from an environment, through the loader src/main.ts uses. */
/** Where the image (NODE_ENV=production) serves GET /metrics, as the gateway's settings say. */
async function productionMetricsPort(): Promise<number> {
  const settings = (await loadSettings({ ...Object.fromEntries(dockerfile.env), GEMINI_API_KEY: "k", AUTH_ALLOW_OPEN: "true" })) as {
    metrics?: { port: number };
  };
  if (settings.metrics === undefined) throw new Error("the image does not serve /metrics on a port of its own");
  return settings.metrics.port;
}

async function loadSettings(env: Record<string, string>): Promise<{ port: number }> {
  const main = readFileSync("src/main.ts", "utf8");
  const from = /import\s*\{[^}]*\bloadConfig\b[^}]*\}\s*from\s*"([^"]+)"/.exec(main)?.[1];
  if (from === undefined) throw new Error("src/main.ts no longer imports loadConfig: update loadSettings()");
  const module = (await import(join("../src", from))) as { loadConfig: (env: Record<string, string>) => { port: number } };
  return module.loadConfig(env);
}

describe("the Dockerfile", () => {
  it("builds on the official slim image of the exact Node the tests run on", () => {
    const node = JSON.parse(readFileSync("package.json", "utf8")).devDependencies.node as string;
    expect(new Set(dockerfile.from)).toEqual(new Set([`node:${node}-bookworm-slim`]));
  });

  it("listens on the gateway's default port, as a numeric non-root user, and drains within Docker's stop timeout", async () => {
    expect(dockerfile.env.get("PORT")).toBe(String((await loadSettings({})).port));
    expect(dockerfile.expose).toEqual([dockerfile.env.get("PORT"), String(await productionMetricsPort())]);
    expect(dockerfile.user).toMatch(/^\d+(:\d+)?$/);
    expect(Number(dockerfile.user.split(":")[0])).toBeGreaterThan(0);
    expect(Number(dockerfile.env.get("SHUTDOWN_GRACE_MS")) + stopMarginMs).toBeLessThan(dockerStopTimeoutMs);
  });
});

describe("deploy/kubernetes", () => {
  it("lists every manifest in its kustomization", () => {
    const kustomization = parse(readFileSync(join(kubernetesDir, "kustomization.yaml"), "utf8"));
    expect([...kustomization.resources].sort()).toEqual([...manifestFiles].sort());
  });

  it("serves on the image's port, named grpc, as h2c through the Service, and metrics on the port Prometheus is told", async () => {
    const service = ofKind("Service");
    expect(container.ports).toEqual([
      { name: "grpc", containerPort: Number(dockerfile.env.get("PORT")) },
      { name: "metrics", containerPort: await productionMetricsPort() },
    ]);
    expect(service.spec.ports).toEqual([{ name: "grpc", port: 8080, targetPort: "grpc", appProtocol: "kubernetes.io/h2c" }]);
    expect(pod.containers[0].readinessProbe.httpGet.port).toBe("grpc");
    expect(pod.containers[0].livenessProbe.httpGet.port).toBe("grpc");
    expect(deployment.spec.template.metadata.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(await productionMetricsPort()),
      "prometheus.io/path": "/metrics",
    });
  });

  it("points the Service, the autoscaler and the disruption budget at the Deployment's pods", () => {
    const podLabels = deployment.spec.template.metadata.labels;
    expect(podLabels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(ofKind("Service").spec.selector);
    expect(podLabels).toMatchObject(ofKind("PodDisruptionBudget").spec.selector.matchLabels);
    const hpa = ofKind("HorizontalPodAutoscaler");
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name });
    expect(hpa.spec.minReplicas).toBeGreaterThan(ofKind("PodDisruptionBudget").spec.maxUnavailable);
    expect(deployment.spec.replicas, "the autoscaler owns the replica count").toBeUndefined();
  });

  it("runs as the image's non-root user, read-only, without privileges", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(dockerfile.user.split(":")[0]) });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("lets the drain end before the kubelet's kill", () => {
    const preStopMs = Number(container.lifecycle.preStop.exec.command.at(-1)) * 1_000;
    const graceMs = Number(containerEnv.get("SHUTDOWN_GRACE_MS")?.value ?? dockerfile.env.get("SHUTDOWN_GRACE_MS"));
    expect(preStopMs + graceMs + stopMarginMs).toBeLessThan(pod.terminationGracePeriodSeconds * 1_000);
  });

  it("takes its secrets from the Secret, which holds no key, and the callers file from the ConfigMap", () => {
    const secret = ofKind("Secret");
    const fromSecret = [...containerEnv.values()].filter((entry) => entry.valueFrom !== undefined);
    for (const { valueFrom } of fromSecret) {
      expect(valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
      expect(Object.keys(secret.stringData ?? {})).toContain(valueFrom.secretKeyRef.key);
    }
    expect(secret.stringData?.["GEMINI_API_KEY"]).toBe("");
    const configMap = ofKind("ConfigMap");
    const volume = pod.volumes.find((entry: { configMap?: { name: string } }) => entry.configMap?.name === configMap.metadata.name);
    const mount = container.volumeMounts.find((entry: { name: string }) => entry.name === volume.name);
    expect(Object.keys(configMap.data ?? {}).map((key) => `${mount.mountPath}/${key}`)).toContain(containerEnv.get("CALLERS_FILE")?.value);
  });
});

describe("deploy/compose.yaml", () => {
  it("runs two gateways on the image's port, sharing Redis, read-only, stopped after their drain", () => {
    expect(gateways.map(([name]) => name)).toHaveLength(2);
    for (const [name, service] of gateways) {
      expect(service.ports, name).toHaveLength(1);
      expect(service.ports[0]).toMatch(new RegExp(`^127\\.0\\.0\\.1:\\d+:${dockerfile.env.get("PORT")}$`));
      expect(service.environment["REDIS_URL"]).toBe("redis://redis:6379");
      expect(service.read_only).toBe(true);
      expect(service.cap_drop).toEqual(["ALL"]);
      expect(service.user, "the image's non-root user").toBeUndefined();
      const graceMs = Number(service.environment["SHUTDOWN_GRACE_MS"] ?? dockerfile.env.get("SHUTDOWN_GRACE_MS"));
      expect(graceMs + stopMarginMs).toBeLessThan(milliseconds(service.stop_grace_period));
    }
    expect(Object.keys(compose.services)).toContain("redis");
  });
});

describe("settings and probes, as the gateway takes them", () => {
  const read = settingsRead();

  it("sets only settings the gateway reads", () => {
    // If these are missing, the scan of src/ no longer finds how settings are read: update settingsRead().
    expect([...read]).toEqual(expect.arrayContaining(["PORT", "SHUTDOWN_GRACE_MS", "CALLERS_FILE", "REDIS_URL", "NODE_ENV"]));
    const set = [
      ...dockerfile.env.keys(),
      ...containerEnv.keys(),
      ...gateways.flatMap(([, service]) => Object.keys(service.environment)),
    ];
    expect(set.filter((name) => !read.has(name))).toEqual([]);
  });

  it("starts with the Kubernetes settings and callers file, and serves the probe paths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "deploy-test-"));
    const callersFile = join(dir, "callers.json");
    writeFileSync(callersFile, ofKind("ConfigMap").data!["callers.json"]!);
    const plain = [...containerEnv].filter(([, entry]) => entry.value !== undefined).map(([name, entry]) => [name, entry.value!]);
    const gateway = await startGateway({ ...Object.fromEntries(dockerfile.env), ...Object.fromEntries(plain), CALLERS_FILE: callersFile });
    const healthcheckPath = /\$\{process\.env\.PORT\}(\/[\w-]+)/.exec(dockerfile.healthcheck)?.[1];
    expect(healthcheckPath, "the HEALTHCHECK's path").toBeDefined();
    for (const path of [container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path, healthcheckPath]) {
      expect(await gateway.status(path), path).toBe(200);
    }
    expect(await gateway.status("/not-a-probe")).toBe(404);
    expect(await gateway.stop()).toBe(0);
  });

  it("starts with the compose settings and demo callers file", async () => {
    const [, service] = gateways[0]!;
    const [callersSource] = service.volumes[0].split(":");
    // Values from the operator's shell (${...}) are theirs; Redis is not here.
    const env = Object.entries(service.environment as Record<string, string>).filter(
      ([name, value]) => !value.includes("${") && name !== "REDIS_URL",
    );
    const gateway = await startGateway({
      ...Object.fromEntries(dockerfile.env),
      ...Object.fromEntries(env),
      CALLERS_FILE: join("deploy", callersSource),
    });
    expect(await gateway.status("/readyz")).toBe(200);
    expect(await gateway.stop()).toBe(0);
  });
});
