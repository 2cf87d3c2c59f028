import { ClickHouseAdapterError } from './errors';

// ClickHouse 18.16 has no query parameters, so values are rendered as literals here, with escaping
// that follows ClickHouse's string literal rules (backslash escapes, single quotes). Identifiers are
// never taken from input: they must match a strict pattern.

export type SqlValue = string | number | bigint | boolean | Date | null | readonly SqlValue[];

const ESCAPES: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\0': '\\0',
  '\b': '\\b',
  '\f': '\\f',
};

export function quoteString(s: string): string {
  return `'${s.replace(/[\\'\n\r\t\0\b\f]/g, (c) => ESCAPES[c]!)}'`;
}

export function literal(v: SqlValue): string {
  if (v === null) return 'NULL';
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`cannot render ${v} as a ClickHouse literal`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (v instanceof Date) return `toDateTime(${Math.floor(v.getTime() / 1000)}, 'UTC')`;
  return `[${v.map(literal).join(', ')}]`;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function identifier(name: string): string {
  if (!IDENT.test(name)) throw new ClickHouseAdapterError('UNSAFE_IDENTIFIER', `unsafe identifier "${name}"`);
  return name;
}

/** A fragment inserted as is: only ever built by the helpers below, never from input. */
export class SqlFragment {
  constructor(readonly text: string) {}
}

/** `(a, b, c)` for `x IN ...` (ClickHouse 18.16 does not accept an array literal there). */
export function inList(values: readonly SqlValue[]): SqlFragment {
  if (values.length === 0) throw new RangeError('IN list must not be empty');
  return new SqlFragment(`(${values.map(literal).join(', ')})`);
}

/** Tagged template: interpolated values become escaped literals. */
export function sql(strings: TemplateStringsArray, ...values: Array<SqlValue | SqlFragment>): string {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    out += (v instanceof SqlFragment ? v.text : literal(v)) + strings[i + 1]!;
  }
  return out;
}
