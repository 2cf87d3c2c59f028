import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseAdapterError } from './errors';
import { identifier, literal } from './sql';
import type { Capabilities } from './version';

// SQL migrations with a ledger table. Files are named `<NNNN>_<words>.sql` (a unique numeric prefix),
// applied in prefix order, each recorded with its checksum; an applied file that later changes is an
// error, not a silent re-run. Statements are separated by a line ending in `;`. A statement preceded
// by `-- requires: <capability>` runs only on servers that have it (see Capabilities).

export interface Migration {
  id: string;
  statements: Array<{ sql: string; requires?: keyof Capabilities }>;
  checksum: string;
}

const NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

export function parseMigration(id: string, text: string): Migration {
  const statements: Migration['statements'] = [];
  let current: string[] = [];
  let requires: keyof Capabilities | undefined;
  const flush = () => {
    const body = current.join('\n').trim().replace(/;\s*$/, '');
    if (body.length > 0) statements.push(requires ? { sql: body, requires } : { sql: body });
    current = [];
    requires = undefined;
  };
  for (const line of text.split('\n')) {
    const req = /^--\s*requires:\s*(\w+)\s*$/.exec(line);
    if (req) {
      requires = req[1] as keyof Capabilities;
      continue;
    }
    if (/^\s*--/.test(line) && current.length === 0) continue;
    current.push(line);
    if (/;\s*$/.test(line)) flush();
  }
  flush();
  return { id, statements, checksum: createHash('sha256').update(text).digest('hex') };
}

export function loadMigrations(dir: string): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const seen = new Set<string>();
  return files.map((f) => {
    const m = NAME.exec(f);
    if (!m) throw new ClickHouseAdapterError('MIGRATION_NAME_INVALID', `migration file "${f}" must be named NNNN_words.sql`);
    if (seen.has(m[1]!)) throw new ClickHouseAdapterError('MIGRATION_NAME_INVALID', `two migrations share the prefix ${m[1]}`);
    seen.add(m[1]!);
    return parseMigration(f.replace(/\.sql$/, ''), readFileSync(join(dir, f), 'utf8'));
  });
}

export interface MigrationReport {
  applied: string[];
  alreadyApplied: string[];
}

export const LEDGER_TABLE = 'gs_schema_migrations';

/**
 * A CREATE TABLE with a *MergeTree engine rewritten to its Replicated* form: the table's ZooKeeper
 * path `<zkRoot>/<database>/<table>` and the server's {replica} macro. Other statements unchanged.
 */
export function replicatedStatement(sqlText: string, database: string, zkRoot = '/clickhouse/tables'): string {
  const table = /CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?`?([\w.]+)`?/i.exec(sqlText)?.[1];
  if (!table) return sqlText;
  const name = table.includes('.') ? table.split('.').pop()! : table;
  return sqlText.replace(/ENGINE\s*=\s*(Replacing|Aggregating|Summing|Collapsing|VersionedCollapsing|)MergeTree\(([^)]*)\)/, (_m, kind: string, args: string) => {
    const path = `'${zkRoot}/${database}/${name}'`;
    return `ENGINE = Replicated${kind}MergeTree(${path}, '{replica}'${args.trim() ? `, ${args.trim()}` : ''})`;
  });
}

export async function applyMigrations(
  client: ClickHouseClient,
  migrations: readonly Migration[],
  caps: Capabilities,
  ledger: string = LEDGER_TABLE,
  o: { replicatedDatabase?: string } = {},
): Promise<MigrationReport> {
  const table = identifier(ledger);
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${table} (id String, checksum String, applied_at DateTime) ENGINE = MergeTree() ORDER BY id`,
  });
  const rs = await client.query({ query: `SELECT id, checksum FROM ${table}`, format: 'JSONEachRow' });
  const done = new Map((await rs.json<{ id: string; checksum: string }>()).map((r) => [r.id, r.checksum]));
  const report: MigrationReport = { applied: [], alreadyApplied: [] };
  for (const m of migrations) {
    const prior = done.get(m.id);
    if (prior !== undefined) {
      if (prior !== m.checksum) {
        throw new ClickHouseAdapterError('MIGRATION_CHECKSUM_MISMATCH', `migration ${m.id} was changed after it was applied`);
      }
      report.alreadyApplied.push(m.id);
      continue;
    }
    for (const [i, st] of m.statements.entries()) {
      if (st.requires && !caps[st.requires]) continue;
      try {
        await client.command({ query: o.replicatedDatabase ? replicatedStatement(st.sql, o.replicatedDatabase) : st.sql });
      } catch (e) {
        throw new ClickHouseAdapterError('MIGRATION_FAILED', `migration ${m.id}, statement ${i + 1} failed: ${String(e)}`, { cause: e });
      }
    }
    await client.command({ query: `INSERT INTO ${table} VALUES (${literal(m.id)}, ${literal(m.checksum)}, now())` });
    report.applied.push(m.id);
  }
  return report;
}
