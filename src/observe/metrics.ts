// Prometheus metrics, under go-grpc-prometheus's names so existing dashboards and alerts work,
// plus what an LLM gateway's operators ask: time to first chunk, gaps between chunks, streams in
// flight, upstream attempts and retries, and tokens by model and kind. Every label value is from
// a bounded set: a model name becomes a label only once Gemini has answered for it, and only the
// first `maxModels` of those; the rest count as "other".

import { Code } from "@connectrpc/connect";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { ConnectionCut } from "../listener.ts";
import type { RpcEnd, RpcObserver, RpcStart } from "./observe.ts";
import { tokenCounts } from "./rpc-record.ts";

type Fallback = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/** The metrics: an RPC observer with the registry it fills. */
export interface Metrics extends RpcObserver {
  readonly registry: Registry;
  /** Counts a connection the listener cut: refused at a cap, or timed out at a stage. */
  connectionCut(cut: ConnectionCut): void;
  /** Counts an upstream marked by the router: cooling, key-refused or breaker-open. */
  upstreamMarked(upstream: string, state: string): void;
}

const rpcLabels = ["grpc_type", "grpc_service", "grpc_method"] as const;
const latencyBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
const gapBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const maxModels = 50;

/** What createMetricsEndpoint needs. */
export interface MetricsEndpointOptions {
  readonly registry: Registry;
  /** The text to serve instead of the registry's own: every worker's sum, when WORKERS > 1. */
  readonly render?: (() => Promise<string>) | undefined;
}

/** GET /metrics in Prometheus' text format. */
export function createMetricsEndpoint(options: MetricsEndpointOptions): Fallback {
  const { registry } = options;
  const render = options.render ?? (() => registry.metrics());
  return (_req, res) => {
    render().then(
      (text) => {
        res.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
        res.end(text);
      },
      () => {
        res.writeHead(500);
        res.end();
      },
    );
  };
}

/** What createMetrics needs: the response cache's store, when there is one, read at each scrape. */
export interface MetricsOptions {
  /** `bytes` for the memory store, `skipped` for Redis. */
  readonly cacheStore?: { readonly bytes?: number; readonly skipped?: number } | undefined;
}

/** The gateway's metrics: an observer of every RPC, and the registry GET /metrics serves. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const started = new Counter({ name: "grpc_server_started_total", help: "RPCs started on the server.", labelNames: rpcLabels, registers: [registry] });
  const handled = new Counter({
    name: "grpc_server_handled_total",
    help: "RPCs completed on the server, whatever their code.",
    labelNames: [...rpcLabels, "grpc_code"],
    registers: [registry],
  });
  const handling = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time from an RPC's start to its end (for streams, the end of the stream).",
    labelNames: rpcLabels,
    buckets: latencyBuckets,
    registers: [registry],
  });
  const sent = new Counter({ name: "grpc_server_msg_sent_total", help: "Messages sent by the server.", labelNames: rpcLabels, registers: [registry] });
  const received = new Counter({ name: "grpc_server_msg_received_total", help: "Messages received by the server.", labelNames: rpcLabels, registers: [registry] });
  const firstChunk = new Histogram({
    name: "gemini_time_to_first_chunk_seconds",
    help: "Time from a stream's start to its first chunk sent to the caller.",
    labelNames: ["model"],
    buckets: latencyBuckets,
    registers: [registry],
  });
  // Once per stream, not per chunk: a histogram observation per chunk cost more than the chunk's own conversion.
  const longestGap = new Histogram({
    name: "gemini_stream_longest_chunk_gap_seconds",
    help: "Per stream of two chunks or more, the longest time between two consecutive chunks sent to the caller.",
    buckets: gapBuckets,
    registers: [registry],
  });
  const inFlight = new Gauge({ name: "gemini_streams_in_flight", help: "Streams open right now.", registers: [registry] });
  const upstream = new Counter({
    name: "gemini_upstream_requests_total",
    help: "Requests made to Gemini, by model sent, upstream (named in ROUTING_FILE, else default) and outcome (ok, or the code they failed with).",
    labelNames: ["model", "upstream", "outcome"],
    registers: [registry],
  });
  const retries = new Counter({ name: "gemini_upstream_retries_total", help: "Upstream requests retried, by the code that caused the retry.", labelNames: ["model", "code"], registers: [registry] });
  const tokens = new Counter({
    name: "gemini_tokens_total",
    help: "Tokens Gemini reported in each RPC's final usage, by model, kind and caller.",
    labelNames: ["model", "kind", "caller"],
    registers: [registry],
  });
  const refused = new Counter({
    name: "gemini_limit_refusals_total",
    help: "RPCs refused by a limit, by the limit (e.g. caller.requests, global.tokens) and caller.",
    labelNames: ["limit", "caller"],
    registers: [registry],
  });
  const uploadBytes = new Counter({
    name: "gemini_file_upload_bytes_total",
    help: "Bytes of file content received by FileService.UploadFile, by caller, whether or not the upload succeeded.",
    labelNames: ["caller"],
    registers: [registry],
  });
  const localLimits = new Counter({
    name: "gemini_limits_without_redis_total",
    help: "RPCs whose limits were checked in this process because Redis was unreachable.",
    registers: [registry],
  });

  const marked = new Counter({
    name: "gemini_upstream_marked_total",
    help: "Times an upstream was set aside: cooling (429 for a model), key-refused (401/403, invalid key) or breaker-open (server errors).",
    labelNames: ["upstream", "state"],
    registers: [registry],
  });

  const refusedConnections = new Counter({
    name: "gemini_connections_refused_total",
    help: "Connections closed at once because too many were open, in all (total) or from one address (per_peer).",
    labelNames: ["reason"],
    registers: [registry],
  });
  const timedOutConnections = new Counter({
    name: "gemini_connection_timeouts_total",
    help: "Connections closed because a stage took too long: first_bytes, headers (HTTP/1.1) or idle.",
    labelNames: ["stage"],
    registers: [registry],
  });
  const cacheRequests = new Counter({
    name: "gemini_cache_requests_total",
    help: "Generate RPCs the response cache was on for, by how they were answered: hit, coalesced (an identical call's answer), miss, or bypass (the request refused the cache).",
    labelNames: ["result"],
    registers: [registry],
  });
  const { cacheStore } = options;
  if (cacheStore?.bytes !== undefined) {
    new Gauge({
      name: "gemini_cache_memory_bytes",
      help: "Bytes the in-memory response cache holds (bounded by CACHE_MAX_BYTES).",
      registers: [registry],
      collect() {
        this.set(cacheStore.bytes ?? 0);
      },
    });
  }
  if (cacheStore?.skipped !== undefined) {
    let counted = 0;
    new Counter({
      name: "gemini_cache_without_redis_total",
      help: "Response cache lookups and writes skipped because Redis was unreachable (each lookup a miss).",
      registers: [registry],
      collect() {
        const skipped = cacheStore.skipped ?? 0;
        this.inc(skipped - counted);
        counted = skipped;
      },
    });
  }

  const models = new Set<string>();
  const modelLabel = (end: RpcEnd): string => {
    const model = end.call.model;
    if (model === undefined) return "none";
    const answered = end.call.usage !== undefined || end.error === undefined;
    if (models.has(model)) return model;
    if (!answered || models.size >= maxModels) return "other";
    models.add(model);
    return model;
  };
  // A model a failed attempt was sent: a label only once it has answered some RPC.
  const knownModel = (model: string): string => (models.has(model) ? model : "other");
  const labelsOf = (rpc: RpcStart) => ({ grpc_type: rpc.type, grpc_service: rpc.service, grpc_method: rpc.method });

  return {
    registry,
    connectionCut(cut) {
      if (cut.kind === "refused") refusedConnections.inc({ reason: cut.reason });
      else timedOutConnections.inc({ stage: cut.stage });
    },
    upstreamMarked(upstreamName, state) {
      marked.inc({ upstream: upstreamName, state });
    },
    started(rpc) {
      started.inc(labelsOf(rpc));
      received.inc(labelsOf(rpc));
      if (rpc.type === "server_stream") inFlight.inc();
    },
    ended(rpc, end) {
      const labels = labelsOf(rpc);
      const code = end.error === undefined ? "OK" : Code[end.error.code];
      handled.inc({ ...labels, grpc_code: code });
      handling.observe(labels, end.durationMs / 1000);
      if (end.messages > 0) sent.inc(labels, end.messages);
      if (rpc.type === "server_stream") inFlight.dec();
      if (end.longestGapMs !== undefined) longestGap.observe(end.longestGapMs / 1000);

      const { call, limits } = end;
      // Caller names come from the callers file, not from the request: a bounded set.
      const caller = end.caller ?? "none";
      if (limits !== undefined && limits.limit !== "ok") refused.inc({ limit: limits.limit, caller });
      if (limits?.store === "memory") localLimits.inc();
      if (end.upload !== undefined && end.upload.bytes > 0) uploadBytes.inc({ caller }, end.upload.bytes);
      if (call.cache !== undefined) cacheRequests.inc({ result: call.cache });
      if (call.attempts === 0) return;
      const model = modelLabel(end);
      if (rpc.type === "server_stream" && end.firstMessageMs !== undefined) firstChunk.observe({ model }, end.firstMessageMs / 1000);
      for (const retried of call.retried) {
        upstream.inc({ model: knownModel(retried.model), upstream: retried.upstream, outcome: retried.code });
        retries.inc({ model: knownModel(retried.model), code: retried.code });
      }
      upstream.inc({ model, upstream: call.upstream ?? "none", outcome: end.error === undefined ? "ok" : code });
      if (call.usage === undefined) return;
      const { total: _sum, toolUse, ...counts } = tokenCounts(call.usage);
      for (const [kind, count] of Object.entries({ ...counts, tool_use: toolUse })) if (count > 0) tokens.inc({ model, kind, caller }, count);
    },
  };
}
