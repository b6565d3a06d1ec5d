import { DateTimeISOResolver } from 'graphql-scalars';
import { Kind } from 'graphql';
import { DateTimeISO } from '../../src/api/dateTimeISO';

describe('DateTimeISO (kept text per Date)', () => {
  test("serializes as graphql-scalars' DateTimeISO does, and keeps its name, description and parsing", () => {
    const date = new Date('2026-12-03T10:15:30.123Z');
    expect(DateTimeISO.serialize(date)).toBe('2026-12-03T10:15:30.123Z');
    expect(DateTimeISO.serialize(date)).toBe(DateTimeISOResolver.serialize(date));
    expect(DateTimeISO.serialize('2026-12-03T10:15:30Z')).toBe(
      DateTimeISOResolver.serialize('2026-12-03T10:15:30Z'),
    );
    expect(DateTimeISO.name).toBe(DateTimeISOResolver.name);
    expect(DateTimeISO.description).toBe(DateTimeISOResolver.description);
    expect(DateTimeISO.parseValue('2026-12-03T10:15:30Z')).toEqual(new Date('2026-12-03T10:15:30Z'));
    expect(DateTimeISO.parseLiteral({ kind: Kind.STRING, value: '2026-12-03T10:15:30Z' }, {})).toEqual(
      new Date('2026-12-03T10:15:30Z'),
    );
  });

  test('a Date set to another time serializes to the new time, not the kept text', () => {
    const date = new Date('2026-12-03T10:15:30.000Z');
    expect(DateTimeISO.serialize(date)).toBe('2026-12-03T10:15:30.000Z');
    date.setTime(Date.parse('2027-01-01T00:00:00.000Z'));
    expect(DateTimeISO.serialize(date)).toBe('2027-01-01T00:00:00.000Z');
  });

  test("an invalid Date gets graphql-scalars' error, each time", () => {
    const invalid = new Date(Number.NaN);
    expect(() => DateTimeISO.serialize(invalid)).toThrow(
      'DateTime cannot represent an invalid Date instance',
    );
    expect(() => DateTimeISO.serialize(invalid)).toThrow(
      'DateTime cannot represent an invalid Date instance',
    );
  });
});
