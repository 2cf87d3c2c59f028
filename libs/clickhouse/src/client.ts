import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseConfig } from '@gridstation/config';
import { capabilitiesOf, parseVersion, type Capabilities, type ServerVersion } from './version';

export type { ClickHouseClient } from '@clickhouse/client';

export interface ClickHouseHandle {
  client: ClickHouseClient;
  version: ServerVersion;
  caps: Capabilities;
  database: string;
  close(): Promise<void>;
}

/** A client for one server URL with keep-alive, bound to the configured database. */
export function createClickHouseClient(config: ClickHouseConfig, url = config.urls[0]!, database: string = config.database): ClickHouseClient {
  return createClient({
    url,
    username: config.username,
    password: config.password,
    database,
    request_timeout: config.requestTimeoutMs,
    keep_alive: { enabled: true },
    // Old servers (18.16) reject unknown settings, so nothing is sent by default.
    clickhouse_settings: {},
  });
}

export async function detectServerVersion(client: ClickHouseClient): Promise<ServerVersion> {
  const rs = await client.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' });
  const rows = await rs.json<{ v: string }>();
  return parseVersion(rows[0]!.v);
}

/**
 * Connects, creates the database if needed, and reads the server version once so that every later
 * statement can be gated on what the server supports.
 */
export async function openClickHouse(config: ClickHouseConfig, url = config.urls[0]!): Promise<ClickHouseHandle> {
  const bootstrap = createClickHouseClient(config, url, 'default');
  try {
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${config.database}` });
    const version = await detectServerVersion(bootstrap);
    const client = createClickHouseClient(config, url);
    return { client, version, caps: capabilitiesOf(version), database: config.database, close: () => client.close() };
  } finally {
    await bootstrap.close();
  }
}

export async function pingClickHouse(client: ClickHouseClient): Promise<void> {
  const r = await client.ping();
  if (!r.success) throw r.error;
}
