// OpenTelemetry traces, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set: one server span per RPC
// with the rpc.* and gen_ai.* attributes, its parent taken from the caller's W3C trace context,
// and that context passed on to the upstream request so Gemini's side joins the same trace.

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import type { Span, TextMapGetter, TextMapSetter, Tracer } from "@opentelemetry/api";
import { Code } from "@connectrpc/connect";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import type { RpcObserver, RpcStart } from "./observe.ts";
import { tokenCounts } from "./rpc-record.ts";

const propagator = new W3CTraceContextPropagator();
const headerGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
};
const recordSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

// The OTel RPC conventions: these codes mark a server span as failed; the others are the caller's.
const serverErrorCodes: ReadonlySet<Code> = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

/** What createTracingObserver needs. */
export interface TracingObserverOptions {
  readonly tracer: Tracer;
}

/** One server span per RPC; its trace context goes on to the upstream request. */
export function createTracingObserver(options: TracingObserverOptions): RpcObserver {
  const { tracer } = options;
  const spans = new WeakMap<RpcStart, Span>();
  return {
    started(rpc) {
      const parent = propagator.extract(ROOT_CONTEXT, rpc.header, headerGetter);
      const span = tracer.startSpan(
        `${rpc.service}/${rpc.method}`,
        {
          kind: SpanKind.SERVER,
          attributes: {
            "rpc.system": isGrpc(rpc) ? "grpc" : "connect_rpc",
            "rpc.service": rpc.service,
            "rpc.method": rpc.method,
            "gen_ai.provider.name": "gcp.gemini",
            "gen_ai.operation.name": rpc.method === "CountTokens" ? "count_tokens" : "generate_content",
          },
        },
        parent,
      );
      spans.set(rpc, span);
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, recordSetter);
      return headers;
    },
    ended(rpc, end) {
      const span = spans.get(rpc);
      if (span === undefined) return;
      const { call, error } = end;
      const code = error?.code ?? 0;
      span.setAttribute(isGrpc(rpc) ? "rpc.grpc.status_code" : "rpc.connect_rpc.status_code", code);
      if (call.model !== undefined) span.setAttribute("gen_ai.request.model", call.model);
      if (call.upstream !== undefined) span.setAttribute("gemini.upstream", call.upstream);
      if (call.usage !== undefined) {
        const tokens = tokenCounts(call.usage);
        span.setAttributes({
          "gen_ai.usage.input_tokens": tokens.prompt,
          "gen_ai.usage.output_tokens": tokens.candidates,
          "gemini.usage.thoughts_tokens": tokens.thoughts,
          "gemini.usage.cached_tokens": tokens.cached,
        });
      }
      span.setAttributes({ "gemini.attempts": call.attempts, "gemini.chunks": end.messages });
      if (call.cache !== undefined) span.setAttribute("gemini.cache.result", call.cache);
      if (call.cacheAgeSeconds !== undefined) span.setAttribute("gemini.cache.age_seconds", call.cacheAgeSeconds);
      if (error !== undefined && serverErrorCodes.has(error.code)) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.rawMessage });
      }
      span.end();
    },
  };
}

/**
 * The exporting tracer, configured by the standard OTEL_* variables (endpoint, headers,
 * OTEL_SERVICE_NAME); `shutdown` flushes what is still queued.
 */
export function startTracing(options: { readonly serviceName: string }): { tracer: Tracer; shutdown(): Promise<void> } {
  const { serviceName } = options;
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
  return { tracer: provider.getTracer("gemini-connect"), shutdown: () => provider.shutdown() };
}

// The Gemini REST ingress calls its RPCs in process over Connect.
function isGrpc(rpc: RpcStart): boolean {
  return rpc.protocol === "grpc" || rpc.protocol === "grpc-web";
}
