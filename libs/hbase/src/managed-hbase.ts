import type { HBaseConfig } from '@gridstation/config';
import { ThriftHBaseStore } from './thrift-store';

/** The Thrift2 store; start-up fails fast when the gateway does not answer. */
export function managedHBase(config: HBaseConfig): ThriftHBaseStore & { start(): Promise<void> } {
  const store = new ThriftHBaseStore(config);
  return Object.assign(store, { start: () => store.healthCheck() });
}
