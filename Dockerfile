# Sesame: passwordless authentication service. See docs/container.md.
#   docker build -t sesame .            (here: DOCKER_BUILDKIT=0 docker build --network host -t sesame .)
#   docker run --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges \
#     -p 3000:3000 --env-file .env sesame
#
# Two stages. The build stage has everything (Prisma CLI to generate the client, TypeScript,
# the embedded PostgreSQL that `npm run dev` uses); the runtime stage receives only dist/ (with
# the generated client compiled into dist/generated), the migrations, and the pruned production
# node_modules. `npm run test:container` fails if the image grows past 350 MB.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
COPY tools ./tools
COPY src ./src
COPY docker/prune-runtime-modules.sh ./docker/
# One step on purpose: the full install (~600 MB with the Prisma CLI, TypeScript and the embedded
# PostgreSQL) is never committed as a layer, which saves minutes of disk work per build. `npm ci`
# runs the project's postinstall, which generates the Prisma client into src/generated offline;
# the build compiles it into dist/generated.
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && sh docker/prune-runtime-modules.sh . \
 && find dist -name '*.map' -delete \
 && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# Owned by root and read-only to the `node` user: the process cannot change its own code.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prisma/migrations ./prisma/migrations
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "docker/healthcheck.mjs"]
# Migrations run at start under PostgreSQL's advisory lock (MIGRATE_ON_START=true by default);
# `node dist/cli/migrate.js` applies them alone, e.g. as a Kubernetes Job.
# Node is PID 1 (exec form, no shell): SIGTERM reaches the server, which drains and exits 0.
# Sesame starts no child processes, so no init is needed to reap zombies; `docker run --init`
# (or `shareProcessNamespace` in Kubernetes) is harmless if your platform prefers one.
# Nothing is written to disk: the container runs with a read-only root and only /tmp writable.
# V8 flags, the same as `npm start` and `npm run bench` (docs/benchmarks.md, "Memory"): an old
# space of at most 256 MB, which also keeps V8 from letting the heap grow to several times its
# live size between full collections, and a 4 MB semi-space, which keeps Node 24's peak RSS under
# saturation at 144-150 MiB instead of 149-159 (for 6-15% more CPU per request there, still
# under the 0.5 ms target; docs/benchmarks.md, "The semi-space again"); and no Maglev (Node
# 24's mid-tier compiler; Node 20 does not run it by default), which costs this long-running
# server no CPU measurably and saves about 10 MB of native memory; and no allocation-site pretenuring, which under steady load had
# V8 allocate short-lived request objects straight into the old space, so that a full collection
# (a 30-65 ms stall on two cores) came every 1.7 s instead of every 3.5-9 s
# (docs/benchmarks.md, "Full collections every 1.7 s").
# glibc's malloc with a fixed mmap threshold (the same in `npm start` and `npm run bench`):
# blocks of 64 KiB or more (likely the read buffers of the PostgreSQL sockets) are mapped and
# given back when freed, where glibc's default, which raises its threshold after the first large
# block it frees, serves them from a heap that stays at its high-water mark (docs/benchmarks.md,
# "glibc's mmap threshold"). Peak RSS under load 141-148 MiB on Node 24 with an 8 MB semi-space
# (151-157 without it, 156-165 with Maglev too), not 210-280.
ENV MALLOC_MMAP_THRESHOLD_=65536
# --v8-pool-size=1: one V8 helper thread instead of four; on two cores shared with PostgreSQL the
# request p99 at 1,000 requests/s fell from 18-24 to 12 ms, for about 6 MB of peak RSS under
# saturation (docs/benchmarks.md, "V8's helper threads").
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=256", "--no-maglev", "--no-allocation-site-pretenuring", "--v8-pool-size=1", "dist/server.js"]
