import type { ClickHouseConfig } from '@gridstation/config';
import { openClickHouse, pingClickHouse, type ClickHouseHandle } from './client';
import { applyMigrations, loadMigrations } from './migrations';

export interface ManagedClickHouse {
  /** Available after start(). */
  readonly handle: ClickHouseHandle;
  start(): Promise<void>;
  healthCheck(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured database, reads the server version, and applies the service's migrations if any. */
export function managedClickHouse(config: ClickHouseConfig, migrationsDir?: string): ManagedClickHouse {
  let handle: ClickHouseHandle | undefined;
  const need = () => {
    if (!handle) throw new Error('ClickHouse is not started');
    return handle;
  };
  return {
    get handle() {
      return need();
    },
    async start() {
      handle = await openClickHouse(config);
      if (migrationsDir) await applyMigrations(handle.client, loadMigrations(migrationsDir), handle.caps);
    },
    healthCheck: () => pingClickHouse(need().client),
    close: async () => handle?.close(),
  };
}
