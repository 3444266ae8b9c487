# syntax=docker/dockerfile:1
# autoremediator: `docker build -t <registry>/autoremediator:<version> .`
#
#   docker build --build-arg VERSION=0.1.0 --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(date -u +%FT%TZ) ...
#
# Node.js 24 (Active LTS; 22 is supported too, see package.json `engines`). Node 20 reached end
# of life in April 2026.
#
# Three stages: `deps` installs the production dependencies with better-sqlite3's native module,
# `build` compiles the TypeScript and bundles the CLI (scripts/build.mjs → dist/autoremediator.mjs),
# and the runtime image gets only what that bundle loads: the bundle itself, the sandbox's seed
# YAML, and better-sqlite3 (the one dependency left out of the bundle, a native addon) with the
# two small packages it requires (bindings, file-uri-to-path). Everything else is in the bundle.
# (test/integration/deploy/runtime-layout.test.ts runs the service from exactly these files.)
# Every `npm ci` runs with --ignore-scripts: our own `prepare` script (tsc) must not run where
# there are no sources, and only better-sqlite3 needs its install script (package.json
# `allowScripts`), so it is rebuilt explicitly.

FROM node:24-bookworm-slim AS toolchain
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
# The git revision the bundle reports (--version, autoremediator_build_info): the context has no .git.
ARG REVISION=unknown
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN GIT_REVISION="$REVISION" npm run build

FROM node:24-bookworm-slim AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="autoremediator" \
      org.opencontainers.image.description="Turns Prometheus alerts into safe, explained, automatic Kubernetes scaling" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.created="$CREATED" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/node:24-bookworm-slim"
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
# better-sqlite3 as `require('better-sqlite3')` loads it: its package.json, lib/ and the compiled
# addon (not its C sources, build objects or install-time dependencies), and what lib/ requires.
COPY --from=deps /app/node_modules/better-sqlite3/package.json ./node_modules/better-sqlite3/package.json
COPY --from=deps /app/node_modules/better-sqlite3/lib ./node_modules/better-sqlite3/lib
COPY --from=deps /app/node_modules/better-sqlite3/build/Release/better_sqlite3.node ./node_modules/better-sqlite3/build/Release/better_sqlite3.node
COPY --from=deps /app/node_modules/bindings ./node_modules/bindings
COPY --from=deps /app/node_modules/file-uri-to-path ./node_modules/file-uri-to-path
# The bundle, its source map (node --enable-source-maps) and the licences of what it bundles.
COPY --from=build /app/dist/autoremediator.mjs /app/dist/autoremediator.mjs.map /app/dist/autoremediator.mjs.LEGAL.txt ./dist/
# The status page's assets (status.js, status.css, uPlot), served from beside the bundle.
COPY --from=build /app/dist/assets ./dist/assets
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
