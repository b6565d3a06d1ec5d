import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../shared/projectRoot';
import { printApiSchema } from '../schema';

/**
 * `node dist/src/api/tools/schemaFile.js` writes schema/schema.graphql from the code;
 * with `--check` it fails (exit 1) when the committed file differs, so CI catches a forgotten update.
 */
const file = path.join(projectRoot, 'schema', 'schema.graphql');
const printed = printApiSchema();
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // A missing file is out of date too.
  }
  if (committed !== printed) {
    process.stderr.write('schema/schema.graphql is out of date: run `npm run schema` and commit it.\n');
    process.exit(1);
  }
  process.stdout.write('schema/schema.graphql is up to date\n');
} else {
  writeFileSync(file, printed);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
