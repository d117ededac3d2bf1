// Which model and upstream each attempt of a call goes to. An alias is an ordered list of targets
// (a model on some upstreams); a plain model goes to the default pool. Within a target, weighted
// round robin over the upstreams that can take the model now (not cooling down for it, not failed,
// breaker not open, under their in-flight cap). A failure that another upstream could fix moves
// the next attempt to an untried upstream of the target, then to the next target, at once.

import { Code, ConnectError } from "@connectrpc/connect";
import type { RouteTarget, RoutingTable } from "../config/routing-file.ts";
import type { Logger } from "../observe/logger.ts";
import type { Upstream } from "../upstream/upstream.ts";
import { UpstreamHealth, verdictOf } from "./health.ts";
import { isModelAllowed } from "./permissions.ts";

/** Where one attempt goes. */
export interface Choice {
  /** The model name sent upstream. */
  readonly model: string;
  /** The upstream's name (never its key). */
  readonly upstream: string;
  readonly client: Upstream;
}

/** The attempts of one call. */
export interface Route {
  /** The next attempt's model and upstream; undefined when no upstream can take it now. */
  next(): Choice | undefined;
  /** The last attempt failed (`timedOut`: no first chunk in time); true when an untried upstream can take the call at once. */
  failed(error: unknown, timedOut: boolean): boolean;
  /** The last attempt got its answer (or first chunk). */
  succeeded(): void;
  /** The call ended: its upstream's in-flight slot is given back. */
  end(): void;
}

/** Routes calls: one per RPC. */
export interface Router {
  /** The route of a call for `model` (an alias or a model); PermissionDenied when `allowed` does not cover it. */
  route(model: string, allowed: readonly string[] | undefined): Route;
  /**
   * The models a call for `model` may be answered by, in the order they are tried, as one name
   * (what the response cache keys on); PermissionDenied when `allowed` does not cover it.
   */
  resolve(model: string, allowed: readonly string[] | undefined): string;
}

/** The router of one upstream, as without a routing file: every attempt goes to it, for the model asked. */
export function createSingleRouter(upstream: Upstream): Router {
  return {
    route(model, allowed) {
      checkAllowed(model, allowed);
      const choice = { model, upstream: "default", client: upstream };
      return { next: () => choice, failed: () => false, succeeded() {}, end() {} };
    },
    resolve(model, allowed) {
      checkAllowed(model, allowed);
      return bareModel(model);
    },
  };
}

/** What createPoolRouter needs. */
export interface PoolRouterOptions {
  readonly table: RoutingTable;
  /** One client per upstream of the table, by name. */
  readonly clients: ReadonlyMap<string, Upstream>;
  readonly logger: Logger;
  /** Called when an upstream is marked: cooling for a model, its key refused, its breaker opened. */
  readonly onMarked?: ((upstream: string, state: string) => void) | undefined;
  readonly now?: () => number;
}

/** The router of a routing file's upstreams and aliases. */
export function createPoolRouter(options: PoolRouterOptions): Router {
  const { table, clients, logger, onMarked } = options;
  const now = options.now ?? Date.now;
  const health = new Map(table.upstreams.map((spec) => [spec.name, new UpstreamHealth(spec.name, spec.weight, spec.maxConcurrentStreams)]));

  function pick(target: RouteTarget, skip: ReadonlySet<string>): UpstreamHealth | undefined {
    const at = now();
    const model = bareModel(target.model);
    const candidates = target.upstreams
      .filter((name) => !skip.has(name))
      .map((name) => health.get(name)!)
      .filter((upstream) => upstream.available(model, at));
    // Smooth weighted round robin (as nginx): even spread, in proportion to the weights.
    let best: UpstreamHealth | undefined;
    let total = 0;
    for (const upstream of candidates) {
      upstream.currentWeight += upstream.weight;
      total += upstream.weight;
      if (best === undefined || upstream.currentWeight > best.currentWeight) best = upstream;
    }
    if (best !== undefined) best.currentWeight -= total;
    return best;
  }

  function record(upstream: UpstreamHealth, model: string, error: unknown, timedOut: boolean): void {
    const at = now();
    const verdict = verdictOf(error, timedOut, at);
    const marked = upstream.record(model, verdict, at);
    if (marked === undefined) return;
    onMarked?.(upstream.name, marked);
    const line = { upstream: upstream.name, model, state: marked, ...(verdict.kind === "cooldown" ? { forMs: verdict.ms } : {}) };
    if (marked === "key-refused") logger.error(line, "upstream refused its key: left out until its back-off ends");
    else if (marked === "breaker-open") logger.warn(line, "upstream failing: circuit breaker open");
  }

  return {
    resolve(asked, allowed) {
      const name = bareModel(asked);
      checkAllowed(name, allowed);
      return (table.aliases.get(name) ?? [{ model: name }]).map((target) => bareModel(target.model)).join(",");
    },
    route(asked, allowed) {
      const name = bareModel(asked);
      checkAllowed(name, allowed);
      const targets = table.aliases.get(name) ?? [{ model: name, upstreams: table.defaultPool }];
      let index = 0;
      let tried = new Set<string>();
      let current: { upstream: UpstreamHealth; model: string } | undefined;
      const release = () => {
        current?.upstream.release();
      };
      /** The first target, from `index` on, with an untried upstream that can take it now. */
      const fresh = (): { index: number; upstream: UpstreamHealth } | undefined => {
        for (let i = index; i < targets.length; i++) {
          const upstream = pick(targets[i]!, i === index ? tried : new Set());
          if (upstream !== undefined) return { index: i, upstream };
        }
        return undefined;
      };
      return {
        next() {
          // Every target tried: start over, tried upstreams included (a retry after a back-off).
          let found = fresh();
          if (found === undefined) {
            [index, tried] = [0, new Set()];
            found = fresh();
          }
          if (found === undefined) return undefined;
          if (found.index !== index) [index, tried] = [found.index, new Set()];
          const target = targets[index]!;
          tried.add(found.upstream.name);
          found.upstream.take();
          current = { upstream: found.upstream, model: bareModel(target.model) };
          return { model: target.model, upstream: found.upstream.name, client: clients.get(found.upstream.name)! };
        },
        failed(error, timedOut) {
          if (current === undefined) return false;
          record(current.upstream, current.model, error, timedOut);
          release();
          current = undefined;
          return verdictOf(error, timedOut, now()).kind !== "answered" && peekFresh();
        },
        succeeded() {
          if (current !== undefined) current.upstream.record(current.model, { kind: "answered" }, now());
        },
        end() {
          release();
          current = undefined;
        },
      };

      function peekFresh(): boolean {
        for (let i = index; i < targets.length; i++) {
          const target = targets[i]!;
          const at = now();
          const open = target.upstreams.some(
            (upstream) => !(i === index && tried.has(upstream)) && health.get(upstream)!.available(bareModel(target.model), at),
          );
          if (open) return true;
        }
        return false;
      }
    },
  };
}

function bareModel(model: string): string {
  return model.startsWith("models/") ? model.slice("models/".length) : model;
}

function checkAllowed(model: string, allowed: readonly string[] | undefined): void {
  if (allowed === undefined || isModelAllowed(bareModel(model), allowed)) return;
  throw new ConnectError(`this caller may not use the model "${bareModel(model)}"`, Code.PermissionDenied);
}
