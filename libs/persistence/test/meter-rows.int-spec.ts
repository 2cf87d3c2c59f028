import { ThriftHBaseStore } from '@gridstation/hbase';
import { infra, requireService, uniqueName } from '@gridstation/testing';
import { meterRowsContract } from './meter-rows-contract';

beforeAll(() => requireService('hbase'));

meterRowsContract(
  'HBase 2.6 through Thrift2',
  async () => new ThriftHBaseStore({ ...infra.hbase, poolSize: 2, timeoutMs: 30_000, namespace: 'default' }),
  () => uniqueName('gs_meter'),
);
