// `node bench/graphql-cost.mjs` (after `npm run build`): what one GraphQL operation costs in this
// process, with no network and no database: parse, validate (graphql-js's rules plus the depth and
// cost limits), execute (type-graphql's resolvers on a conference stub that answers from memory),
// and the same with the document cache that graphql-ws uses. Microseconds per operation, median of runs.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { parse, validate, execute, specifiedRules } = require('graphql');
const { buildApiSchema } = require('../dist/src/api/schema.js');
const { queryLimitRules } = require('../dist/src/api/limits.js');
const { DocumentCache } = require('../dist/src/api/documentCache.js');
const { Access } = require('../dist/src/api/access.js');
const { ParticipantTokens } = require('../dist/src/access/ParticipantTokens.js');

const schema = buildApiSchema();
const rules = [...specifiedRules, ...queryLimitRules({ maxDepth: 12, maxCost: 5000 })];
const rooms = Array.from({ length: 20 }, (_, i) => ({
  id: `room-${i}`,
  name: `Room ${i}`,
  createdAt: new Date(1_700_000_000_000 + i),
  closedAt: null,
  maxParticipants: 16,
  videoCodec: 'VP8',
  simulcast: true,
  metadata: null,
}));
const conference = {
  listOpenRooms: async () => ({
    items: rooms,
    hasNextPage: false,
    endCursor: null,
    totalCount: rooms.length,
  }),
};
// Open mode, as in the benchmark: the access checks run and let everything through.
const contextValue = {
  conference,
  access: new Access(conference, null, new ParticipantTokens(), undefined),
  clientAddress: '127.0.0.1',
};
const operations = {
  rooms: 'query { rooms(first: 20) { nodes { id name createdAt } totalCount } }',
  join: `mutation Join($roomId: ID!, $displayName: String, $offer: String!) {
    join(input: { roomId: $roomId, name: $displayName, offer: $offer }) {
      participant { id name }
      answer
      token
    }
  }`,
};

async function time(label, n, fn) {
  const runs = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn();
    runs.push(((performance.now() - t) * 1000) / n);
  }
  runs.sort((a, b) => a - b);
  return [label, runs[3]];
}

const out = [];
for (const [name, query] of Object.entries(operations)) {
  let document;
  try {
    document = parse(query);
  } catch (error) {
    out.push([`${name}: parse failed: ${error.message}`, NaN]);
    continue;
  }
  const errors = validate(schema, document, rules);
  out.push(await time(`${name}: parse`, 2000, () => parse(query)));
  out.push(
    await time(`${name}: validate (graphql-js rules + limits)`, 2000, () =>
      validate(schema, document, rules),
    ),
  );
  if (errors.length) {
    out.push([`${name}: invalid against this schema (${errors[0].message}): execute not measured`, NaN]);
    continue;
  }
  if (name === 'rooms') {
    const result = await execute({ schema, document, contextValue });
    if (result.errors) throw new Error(`rooms failed: ${result.errors[0].message}`);
    out.push(
      await time(`${name}: execute (type-graphql, stub conference)`, 2000, () =>
        execute({ schema, document, contextValue }),
      ),
    );
    const cache = new DocumentCache(rules);
    out.push(
      await time(`${name}: parse + validate + execute, no cache`, 2000, () => {
        const doc = parse(query);
        validate(schema, doc, rules);
        return execute({ schema, document: doc, contextValue });
      }),
    );
    out.push(
      await time(`${name}: parse + validate + execute, document cache`, 2000, () => {
        const doc = cache.parse(query);
        cache.validate(schema, doc);
        return execute({ schema, document: doc, contextValue });
      }),
    );
  }
}
for (const [label, us] of out)
  console.log(`${label.padEnd(62)} ${Number.isNaN(us) ? '' : `${us.toFixed(1)} µs`}`);
