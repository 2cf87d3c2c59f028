import { capabilitiesOf, inList, insertSettings, literal, parseMigration, parseVersion, sql, identifier } from './index';

describe('version gating', () => {
  it('parses server version strings', () => {
    expect(parseVersion('18.16.1')).toMatchObject({ major: 18, minor: 16, patch: 1 });
    expect(parseVersion('25.8.2.29')).toMatchObject({ major: 25, minor: 8, patch: 2 });
  });

  it('sends no modern-only setting to an 18.16 server', () => {
    const caps = capabilitiesOf(parseVersion('18.16.1'));
    expect(caps).toMatchObject({ asyncInsert: false, insertDeduplicationToken: false, queryParameters: false, lowCardinalityNeedsFlag: true });
    expect(insertSettings(caps, 'off', 'token')).toEqual({});
  });

  it('turns async_insert off explicitly on servers where it may default to on', () => {
    const caps = capabilitiesOf(parseVersion('26.2.1'));
    expect(insertSettings(caps, 'off')).toEqual({ async_insert: 0 });
    expect(insertSettings(caps, 'on', 'b-1')).toEqual({ async_insert: 1, wait_for_async_insert: 1, insert_deduplication_token: 'b-1' });
    expect(insertSettings(caps, 'server-default')).toEqual({});
  });
});

describe('literals', () => {
  it('escapes quotes, backslashes and control characters', () => {
    expect(literal("O'Brien\\x\n")).toBe("'O\\'Brien\\\\x\\n'");
    expect(sql`SELECT * FROM t WHERE a = ${"x' OR 1=1 --"} AND b IN ${inList([1, 2])} AND c = ${[1]}`).toBe(
      "SELECT * FROM t WHERE a = 'x\\' OR 1=1 --' AND b IN (1, 2) AND c = [1]",
    );
  });

  it('renders numbers, bigints, booleans, nulls and dates', () => {
    expect(literal(2n ** 63n - 1n)).toBe('9223372036854775807');
    expect(literal(true)).toBe('1');
    expect(literal(null)).toBe('NULL');
    expect(literal(new Date(Date.UTC(2026, 0, 1)))).toBe("toDateTime(1767225600, 'UTC')");
    expect(() => literal(Number.NaN)).toThrow(RangeError);
  });

  it('refuses identifiers that are not plain names', () => {
    expect(identifier('readings_v1')).toBe('readings_v1');
    expect(() => identifier('x; DROP TABLE y')).toThrow(/unsafe identifier/);
  });
});

describe('migration files', () => {
  it('splits statements at lines ending in a semicolon and keeps capability markers', () => {
    const m = parseMigration(
      '0001_init',
      ['-- creates things', 'CREATE TABLE a (x UInt8)', 'ENGINE = Memory;', '', '-- requires: asyncInsert', 'SET something = 1;'].join('\n'),
    );
    expect(m.statements).toEqual([
      { sql: 'CREATE TABLE a (x UInt8)\nENGINE = Memory' },
      { sql: 'SET something = 1', requires: 'asyncInsert' },
    ]);
    expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
  });
});
