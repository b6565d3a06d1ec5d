import { readFileSync } from 'node:fs';
import path from 'node:path';
import { printApiSchema } from '../../src/api/schema';

test('schema/schema.graphql matches the schema the code builds (run `npm run schema` to update)', () => {
  const committed = readFileSync(path.join(__dirname, '..', '..', 'schema', 'schema.graphql'), 'utf8');
  expect(printApiSchema()).toBe(committed);
});
