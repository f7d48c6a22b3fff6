# e2a: one image for the gateway. Runs TypeScript through tsx; no build step.
FROM node:22-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
COPY relay/package.json relay/
COPY api/package.json api/
COPY sdk-ts/package.json sdk-ts/
COPY cli/package.json cli/
COPY dashboard/package.json dashboard/
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV E2A_HTTP_LISTEN_ADDR=0.0.0.0:8080 \
    E2A_SMTP_LISTEN_ADDR=0.0.0.0:2525 \
    E2A_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 2525 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:8080/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node_modules/.bin/tsx", "api/src/main.ts", "serve"]
