# gemini-connect: Connect, gRPC and gRPC-Web on one port ($PORT, default 8080); Prometheus'
# GET /metrics on its own port (production's METRICS_PORT, 9090).
# Node 24 runs the TypeScript sources directly, so there is no build step.
# Production mode wants GEMINI_API_KEY and CALLERS_FILE (docs/deploy.md has the `docker run` line).

FROM node:24.21.0-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --no-update-notifier

FROM node:24.21.0-bookworm-slim
# SHUTDOWN_GRACE_MS stays under the stop timeout of Docker (10 s) and of Kubernetes (30 s), so a
# stop drains: in-flight RPCs get 7 s, then end with Unavailable, and the process exits 0.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    SHUTDOWN_GRACE_MS=7000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY gen/ts ./gen/ts
COPY src ./src
# The base image's `node` user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080 9090
# No curl in the slim image: Node's fetch asks /readyz (200 while serving, 503 once draining).
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "src/main.ts"]
