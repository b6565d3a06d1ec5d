// Derives prisma/sqlite/schema.prisma (the embedded default, SQLite) from prisma/schema.prisma
// (PostgreSQL): same models, the SQLite provider, no PostgreSQL column types, its own client.
//   node scripts/sqlite-schema.mjs           write it
//   node scripts/sqlite-schema.mjs --check   fail when it is not what the PostgreSQL schema gives
// A model change then needs a migration in both folders (see docs/persistence.md).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(root, 'prisma', 'schema.prisma');
const target = path.join(root, 'prisma', 'sqlite', 'schema.prisma');

export function sqliteSchema(text) {
  const out = text
    .replace(/^(\/\/[^\n]*\n)+/, '')
    .replace(
      /generator client \{[\s\S]*?\}/,
      [
        'generator client {',
        '  provider   = "prisma-client-js"',
        '  engineType = "client"',
        '  output     = "../../node_modules/.prisma/sqlite-client"',
        '}',
      ].join('\n'),
    )
    .replace(
      /datasource db \{[\s\S]*?\}/,
      [
        'datasource db {',
        '  provider = "sqlite"',
        '  // Unused at run time: the driver adapter opens DATA_DIR/sfu.sqlite (src/persistence/Database.ts).',
        '  url      = "file:./sfu.sqlite"',
        '}',
      ].join('\n'),
    )
    .replace(/ @db\.\w+(\([^)]*\))?/g, '');
  return (
    '// GENERATED from prisma/schema.prisma by scripts/sqlite-schema.mjs: do not edit.\n' +
    '// The embedded default (SQLite through better-sqlite3): the same models as the PostgreSQL schema.\n' +
    out
  );
}

const wanted = sqliteSchema(readFileSync(source, 'utf8'));
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing: reported below
  }
  if (current !== wanted) {
    console.error('prisma/sqlite/schema.prisma is stale: run `node scripts/sqlite-schema.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(target, wanted);
}
