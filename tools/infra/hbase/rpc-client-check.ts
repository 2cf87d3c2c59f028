// Reproduces the evidence behind the HBase client choice (libs/hbase/README.md): runs the design card's
// hbase-rpc-client 0.1.15 against the local HBase 2.6 through a put, a get, a region move, a region split
// and a put after the split. Run with tools/infra/hbase/rpc-client-check.sh.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ThriftHBaseStore } from '@gridstation/hbase';

type Cb = (err: unknown, res?: unknown) => void;
interface RpcClient {
  put(table: string, put: unknown, cb: Cb): void;
  get(table: string, get: unknown, cb: Cb): void;
  on(event: 'error', fn: (e: Error) => void): void;
}
interface RpcModule {
  (options: object): RpcClient;
  Put: new (row: string) => { add(f: string, q: string, v: string): void };
  Get: new (row: string) => unknown;
}

const [, , modulePath] = process.argv as [string, string, string];
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded from a scratch install, not a project dependency
const HBase = require(modulePath) as RpcModule;
const infra = join(__dirname, '..', 'infra.sh');

const describe = (err: unknown, res?: unknown): string => {
  if (!err) return `ok ${res === undefined ? '' : JSON.stringify(res).slice(0, 80)}`;
  const e = err as { exceptionClassName?: string; stackTrace?: string; message?: string };
  return `ERROR ${e.exceptionClassName ?? ''} ${(e.stackTrace ?? e.message ?? String(err)).split('\n')[0]}`;
};
const step = (what: string, fn: (cb: Cb) => void) =>
  new Promise<void>((resolve) =>
    fn((err, res) => {
      console.log(`${what}: ${describe(err, res)}`);
      resolve();
    }),
  );

async function main(): Promise<void> {
  const store = new ThriftHBaseStore({ host: '127.0.0.1', port: 9090, poolSize: 1, timeoutMs: 10_000, namespace: 'default' });
  const table = 'rpc_client_check';
  await store.deleteTable(table);
  await store.createTable({ name: table, families: [{ name: 'd' }], splitKeys: ['5'] });
  const client = HBase({ zookeeperHosts: ['127.0.0.1:2181'], zookeeperRoot: '/hbase', rpcTimeout: 10_000, callTimeout: 10_000 });
  client.on('error', (e) => console.log(`client error event: ${e.message}`));
  const put = (row: string) => {
    const p = new HBase.Put(row);
    p.add('d', 'q', 'v');
    return p;
  };
  await step('put 1-row (fresh client, region cache prefetched)', (cb) => client.put(table, put('1-row'), cb));
  await step('get 7-row (second region)', (cb) => client.get(table, new HBase.Get('7-row'), cb));
  await step('get from a table that does not exist', (cb) => client.get('no_such_table', new HBase.Get('x'), cb));
  execFileSync('bash', [infra, 'hbase-admin', 'move', table, '1']);
  await step('get 1-row after its region was moved', (cb) => client.get(table, new HBase.Get('1-row'), cb));
  execFileSync('bash', [infra, 'hbase-admin', 'split', table, '3']);
  await step('put 2-row after its region was split', (cb) => client.put(table, put('2-row'), cb));
  await store.deleteTable(table);
  await store.close();
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
