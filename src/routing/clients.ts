// One SDK client per upstream of the routing file, made once at start.

import type { RoutingTable } from "../config/routing-file.ts";
import { createGenaiUpstream } from "../upstream/genai.ts";
import type { Upstream } from "../upstream/upstream.ts";

/** The clients of the routing file's upstreams, by name. */
export function createUpstreamClients(table: RoutingTable): Map<string, Upstream> {
  return new Map(
    table.upstreams.map((spec) => [
      spec.name,
      createGenaiUpstream({
        backend: spec.backend,
        apiKey: spec.apiKey,
        baseUrl: spec.baseUrl,
        vertexProject: spec.project,
        vertexLocation: spec.location,
        credentialsFile: spec.credentialsFile,
      }),
    ]),
  );
}
