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
import type { RpcEnd, RpcObserver, RpcStart } from "./observe.ts";

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

export function tracingObserver(tracer: Tracer): RpcObserver {
  // Keyed by the summary: the one object that `started` and `ended` both see.
  const spans = new WeakMap<RpcStart["summary"], Span>();
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
      spans.set(rpc.summary, span);
      const headers: Record<string, string> = {};
      propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, recordSetter);
      rpc.summary.traceHeaders = headers;
    },
    ended(rpc: RpcEnd) {
      const span = spans.get(rpc.summary);
      if (span === undefined) return;
      const { summary, error } = rpc;
      const code = error?.code ?? 0;
      span.setAttribute(isGrpc(rpc) ? "rpc.grpc.status_code" : "rpc.connect_rpc.status_code", code);
      if (summary.model !== undefined) span.setAttribute("gen_ai.request.model", summary.model);
      if (summary.usage !== undefined) {
        span.setAttributes({
          "gen_ai.usage.input_tokens": summary.usage.promptTokenCount,
          "gen_ai.usage.output_tokens": summary.usage.candidatesTokenCount,
          "gemini.usage.thoughts_tokens": summary.usage.thoughtsTokenCount,
          "gemini.usage.cached_tokens": summary.usage.cachedContentTokenCount,
        });
      }
      span.setAttributes({ "gemini.attempts": summary.attempts, "gemini.chunks": rpc.messages });
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
export function startTracing(serviceName: string): { tracer: Tracer; shutdown(): Promise<void> } {
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
