// grpc.health.v1.Health (Check, List, Watch) and the plain-HTTP probes for load balancers that
// cannot speak gRPC (GET /readyz, GET /healthz), over one set of statuses that the gateway flips
// to NOT_SERVING, for good, when it starts draining.

import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { ConnectRouter, HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { EventEmitter } from "node:events";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/ts/grpc/health/v1/health_pb.ts";
import type { HealthCheckResponseSchema } from "../../gen/ts/grpc/health/v1/health_pb.ts";

/** grpc.health.v1's serving statuses. */
export const ServingStatus = HealthCheckResponse_ServingStatus;
/** One serving status. */
export type ServingStatus = HealthCheckResponse_ServingStatus;

/** The health service answers List with at most this many services (the protocol's limit). */
const listLimit = 100;

/** The statuses the health service and the probes report. */
export interface HealthStatus {
  /** One service's status; "" is the server as a whole. Undefined for a service never set. */
  get(service: string): ServingStatus | undefined;
  /** Sets one service's status and tells the watchers. Ignored once draining. */
  set(service: string, status: ServingStatus): void;
  /** Every service known so far, "" included, with its status. */
  all(): ReadonlyMap<string, ServingStatus>;
  /** Marks every service NOT_SERVING for good and tells the watchers: the first step of stop(). */
  drain(): void;
  readonly draining: boolean;
  /** Calls `listener` after every change (of any service) and when draining starts, until `signal` aborts. */
  onChange(listener: () => void, signal: AbortSignal): void;
}

/** Statuses that start with the server as a whole ("") SERVING. */
export function createHealthStatus(): HealthStatus {
  const statuses = new Map<string, ServingStatus>([["", ServingStatus.SERVING]]);
  const events = new EventEmitter<{ change: [] }>();
  // One listener per Watch call; Node's default cap of 10 would only print a warning.
  events.setMaxListeners(0);
  let draining = false;

  const update = (service: string, status: ServingStatus) => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    events.emit("change");
  };

  return {
    get: (service) => statuses.get(service),
    set(service, status) {
      if (!draining) update(service, status);
    },
    all: () => new Map(statuses),
    drain() {
      if (draining) return;
      draining = true;
      for (const service of statuses.keys()) statuses.set(service, ServingStatus.NOT_SERVING);
      events.emit("change");
    },
    get draining() {
      return draining;
    },
    onChange(listener, signal) {
      if (signal.aborted) return;
      events.on("change", listener);
      signal.addEventListener("abort", () => events.off("change", listener), { once: true });
    },
  };
}

/**
 * Registers grpc.health.v1.Health on the router and marks SERVING every service registered
 * before it (the Health service itself excepted): register it after the services it reports on.
 */
export function registerHealth(router: ConnectRouter, status: HealthStatus): void {
  for (const { service } of router.handlers) {
    if (status.get(service.typeName) === undefined) status.set(service.typeName, ServingStatus.SERVING);
  }
  router.service(Health, createHealthService({ status }));
}

/** grpc.health.v1.Health over `status`. */
export function createHealthService(options: { readonly status: HealthStatus }): ServiceImpl<typeof Health> {
  const { status } = options;
  return {
    check(request) {
      const serving = status.get(request.service);
      if (serving === undefined) throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      return { status: serving };
    },

    list() {
      const all = status.all();
      if (all.size > listLimit) {
        throw new ConnectError(`${all.size} services, more than the ${listLimit} that List may return`, Code.ResourceExhausted);
      }
      return { statuses: Object.fromEntries([...all].map(([service, serving]) => [service, { status: serving }])) };
    },

    watch: (request, ctx) => watch(status, request.service, ctx),
  };
}

/**
 * The current status at once, then each change, driven by events (no polling); a status that
 * changes and changes back before the client reads may be sent once or not at all, as only the
 * latest matters. Once the server drains, the watcher gets NOT_SERVING and then Unavailable, so
 * that the call neither holds the draining connection open nor ends in a way that tells the
 * client not to retry.
 */
async function* watch(status: HealthStatus, service: string, ctx: HandlerContext): AsyncGenerator<MessageInitShape<typeof HealthCheckResponseSchema>> {
  let changed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    changed = true;
    wake?.();
  };
  const done = new AbortController();
  const signal = AbortSignal.any([ctx.signal, done.signal]);
  signal.addEventListener("abort", notify, { once: true });
  // Listening before the first answer, so that no change falls between the two.
  status.onChange(notify, signal);
  const current = () => status.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
  try {
    let sent = current();
    yield { status: sent };
    for (;;) {
      if (status.draining) throw new ConnectError("server is shutting down", Code.Unavailable);
      while (!changed) await new Promise<void>((resolve) => (wake = resolve));
      changed = false;
      // A client that left, or the shutdown deadline: end with that reason, never a clean OK.
      ctx.signal.throwIfAborted();
      if (current() !== sent) {
        sent = current();
        yield { status: sent };
      }
    }
  } finally {
    done.abort();
  }
}

type Fallback = NonNullable<ConnectNodeAdapterOptions["fallback"]>;

/**
 * Answers what is not an RPC: GET or HEAD /readyz is 200 "ok" while the server as a whole is
 * SERVING and 503 otherwise (draining included), for load balancers; /healthz is 200 "ok" while
 * the process answers at all, for liveness. Anything else is 404, as without a fallback.
 */
export function createProbeHandler(options: { readonly status: HealthStatus }): Fallback {
  const { status } = options;
  return (req, res) => {
    const path = req.url?.split("?", 1)[0];
    const probe = path === "/readyz" || path === "/healthz";
    if (!probe) {
      res.writeHead(404);
      res.end();
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" });
      res.end();
      return;
    }
    const ready = path === "/healthz" || status.get("") === ServingStatus.SERVING;
    const body = ready ? "ok\n" : status.draining ? "draining\n" : "not serving\n";
    res.writeHead(ready ? 200 : 503, {
      "content-type": "text/plain; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "cache-control": "no-store",
    });
    if (req.method === "HEAD") res.end();
    else res.end(body);
  };
}
