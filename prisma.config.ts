import path from 'node:path';
import { defineConfig } from 'prisma/config';

// engine 'js' keeps Prisma's CLI off the network: it never downloads native engines,
// which this project's machines (and air-gapped deployments) cannot reach. `generate` and
// `migrate diff` work offline with it; migrations are applied at start by src/persistence/migrator.ts.
// The schema's datasource names DATABASE_URL; the CLI only needs it to be set, not reachable.
process.env.DATABASE_URL ??= 'postgresql://127.0.0.1:5432/postgres';

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  async adapter() {
    const { PrismaPg } = await import('@prisma/adapter-pg');
    return new PrismaPg({ connectionString: process.env.DATABASE_URL });
  },
});
