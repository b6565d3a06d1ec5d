import { buildSchema, parse } from 'graphql';
import { compiledOnSecondUse } from '../../src/api/compiledOperations';

describe('compiledOnSecondUse', () => {
  const schema = buildSchema('type Query { hello: String }');

  test('a document is compiled on its second use and kept; another schema counts apart', async () => {
    const document = parse('query Hi { hello }');
    expect(compiledOnSecondUse(schema, document, 'Hi')).toBeNull();
    const compiled = compiledOnSecondUse(schema, document, 'Hi');
    expect(compiled).not.toBeNull();
    expect(await compiled!.query({ hello: 'there' }, {}, {})).toEqual({ data: { hello: 'there' } });
    expect(compiledOnSecondUse(schema, document, 'Hi')).toBe(compiled);
    expect(compiledOnSecondUse(buildSchema('type Query { hello: String }'), document, 'Hi')).toBeNull();
  });

  test('an operation graphql-jit cannot compile is null on every use (graphql-js runs it)', () => {
    const document = parse('query Hi { hello }');
    expect(compiledOnSecondUse(schema, document, 'Missing')).toBeNull();
    expect(compiledOnSecondUse(schema, document, 'Missing')).toBeNull();
  });
});
