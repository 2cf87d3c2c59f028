import type { HBaseConfig } from '@gridstation/config';
import { LevelWideColumnStore, type LevelLimits } from './level-store';
import { ThriftHBaseStore } from './thrift-store';

/** The Thrift2 store; start-up fails fast when the gateway does not answer. */
export function managedHBase(config: HBaseConfig): ThriftHBaseStore & { start(): Promise<void> } {
  const store = new ThriftHBaseStore(config);
  return Object.assign(store, { start: () => store.healthCheck() });
}

/** The LevelDB wide-column store of the embedded mode, opened on start. */
export function managedLevelStore(location: string, limits?: LevelLimits): LevelWideColumnStore & { start(): Promise<void> } {
  const store = new LevelWideColumnStore(location, limits);
  return Object.assign(store, { start: () => store.open() });
}
