// GET /metrics on a port of its own (METRICS_PORT): Prometheus scrapes it there, and the service
// port, open to callers, does not list every caller's use. A plain node:http server that listens
// itself, so Node's own request deadlines apply; anything but GET /metrics is 404. Under WORKERS > 1
// every worker listens on the port (node:cluster shares it) and answers with the workers' sum.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { once } from "node:events";

type Endpoint = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A started metrics port. */
export interface MetricsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** What startMetricsServer needs: the /metrics handler and where to listen. */
export interface MetricsServerOptions {
  readonly endpoint: Endpoint;
  readonly port: number;
  readonly host: string;
}

/** Listens on `host`:`port`, serving GET /metrics with `endpoint`. */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000 }, (req, res) => {
    if (req.method === "GET" && req.url?.split("?", 1)[0] === "/metrics") return options.endpoint(req, res);
    res.writeHead(404).end();
  });
  server.listen(options.port, options.host);
  await Promise.race([once(server, "listening"), once(server, "error").then(([error]) => Promise.reject(error as Error))]);
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
