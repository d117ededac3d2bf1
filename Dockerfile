# gemini-connect: Connect, gRPC and gRPC-Web on one port ($PORT, default 8080).
# Node 24 runs the TypeScript sources directly, so there is no build step.

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY gen/ts ./gen/ts
COPY src ./src
USER node
EXPOSE 8080
CMD ["node", "src/main.ts"]
