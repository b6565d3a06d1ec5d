import { buildSchema, type DocumentNode, parse } from 'graphql';
import { listItems } from '../../src/api/limits';

const schema = buildSchema(`
  type Stream { id: ID! }
  type Participant { id: ID! streams: [Stream!]! }
  type Room { id: ID! participants: [Participant!]! }
  type Query { rooms(first: Int = 20): [Room!]! room(id: ID!): Room }
`);

describe('listItems (QUERY_TOO_COSTLY counting), walked once per document and page sizes', () => {
  const rooms: DocumentNode = parse('query ($n: Int) { rooms(first: $n) { id participants { id } } }');
  // rooms: n items, each 1 + 10 participants (unpaged lists count 10).
  const expected = (n: number) => n * (1 + 10);

  test('the same document with other page sizes counts each', () => {
    expect(listItems(schema, rooms, null, { n: 5 })).toBe(expected(5));
    expect(listItems(schema, rooms, null, { n: 50 })).toBe(expected(50));
    expect(listItems(schema, rooms, null, { n: 5 })).toBe(expected(5));
    // Absent: the argument's default (20). Null: no page size, counted as an unpaged list (10).
    expect(listItems(schema, rooms, null, {})).toBe(expected(20));
    expect(listItems(schema, rooms, null, { n: null })).toBe(expected(10));
  });

  test('variables that are not page sizes do not change the count', () => {
    const room = parse('query ($id: ID!) { room(id: $id) { participants { streams { id } } } }');
    expect(listItems(schema, room, null, { id: 'a' })).toBe(1 + 10 * (1 + 10));
    expect(listItems(schema, room, null, { id: 'b' })).toBe(1 + 10 * (1 + 10));
  });

  test('operations of one document are counted apart, fragments included', () => {
    const document = parse(`
      query Few { rooms(first: 2) { ...R } }
      query Many($n: Int) { rooms(first: $n) { ...R } }
      fragment R on Room { participants { id } }
    `);
    expect(listItems(schema, document, 'Few', {})).toBe(2 * (1 + 10));
    expect(listItems(schema, document, 'Many', { n: 7 })).toBe(7 * (1 + 10));
    expect(listItems(schema, document, 'Many', { n: 8 })).toBe(8 * (1 + 10));
  });

  test('variables that do not coerce count nothing (execution reports them)', () => {
    expect(listItems(schema, rooms, null, { n: 'many' })).toBe(0);
    expect(listItems(schema, rooms, null, { n: 3 })).toBe(expected(3));
  });
});
