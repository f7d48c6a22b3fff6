# syntax=docker/dockerfile:1
# e2a: one image for the gateway. The build stage compiles every workspace to dist/ (tsc -b, run by
# npm ci's prepare script); the image holds the runtime dependencies and the compiled JavaScript,
# and runs it with node itself as the container's process (exec-form CMD, no shell or npm between),
# so `docker stop`'s SIGTERM reaches the gateway. Run it with an init (`init: true` in
# docker-compose.yml, `docker run --init`): docs/OPERATIONS.md, "Signals".
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund

FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY relay/package.json relay/
COPY api/package.json api/
COPY sdk-ts/package.json sdk-ts/
COPY cli/package.json cli/
COPY dashboard/package.json dashboard/
# Runtime dependencies only. --ignore-scripts: the build is done (prepare would need the compiler),
# and the npm `node` package need not fetch a Node binary: the image has Node 22.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY --from=build /app/relay/dist relay/dist
COPY --from=build /app/sdk-ts/dist sdk-ts/dist
COPY --from=build /app/api/dist api/dist
COPY --from=build /app/cli/dist cli/dist
COPY api/bin api/bin
COPY cli/bin cli/bin
COPY migrations migrations
COPY --from=build /app/dashboard/dist dashboard/dist
# /metrics on a port of its own, not on the API's (publish 9464 to the scraper's network only).
ENV E2A_HTTP_LISTEN_ADDR=0.0.0.0:8080 \
    E2A_SMTP_LISTEN_ADDR=0.0.0.0:2525 \
    E2A_METRICS_LISTEN_ADDR=0.0.0.0:9464 \
    E2A_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 2525 8080 9464
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "api/bin/e2a-server.js", "serve"]
