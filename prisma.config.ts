// Prisma CLI configuration (Prisma 7 reads the datasource URL from here, not from the schema).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    // `prisma generate` needs no database; the fallback only keeps the CLI from failing to load.
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/sesame',
  },
});
