# syntax=docker/dockerfile:1
# autoremediator: `docker build -t <registry>/autoremediator:<version> .`
#
# Three stages: `deps` installs the production dependencies with better-sqlite3's native module,
# `build` compiles the TypeScript and bundles the CLI (scripts/build.mjs → dist/autoremediator.mjs), and the runtime image gets only what the service runs.
# Every `npm ci` runs with --ignore-scripts: our own `prepare` script (tsc) must not run where
# there are no sources, and only better-sqlite3 needs its install script (package.json
# `allowScripts`), so it is rebuilt explicitly.

FROM node:20-bookworm-slim AS toolchain
# better-sqlite3 downloads a prebuilt binary when one matches the Node ABI and platform, and
# compiles otherwise (python3, make, g++).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./

FROM toolchain AS deps
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3

FROM toolchain AS build
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8000 \
    DATABASE_URL=sqlite:/data/autoremediator.db
WORKDIR /app
# A fixed numeric uid (the Deployment's runAsUser), so that runAsNonRoot can verify it. The
# application files stay owned by root: the service cannot change its own code or rules.
# /data is the only directory it writes (SQLite), a volume in Kubernetes.
RUN groupadd --system --gid 10001 autoremediator \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin autoremediator \
 && mkdir /data \
 && chown 10001:10001 /data
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The sandbox's seed cluster, read at run time by `autoremediator sandbox` (tsc copies no YAML).
COPY --from=build /app/src/sandbox/seed ./dist/src/sandbox/seed
COPY package.json ./
COPY bin ./bin
COPY rules ./rules
USER 10001:10001
EXPOSE 8000
# For `docker run`; Kubernetes ignores it and uses the Deployment's probes.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/autoremediator.mjs", "serve"]
