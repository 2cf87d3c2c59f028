import { infra, requireService, uniqueName } from '@gridstation/testing';
import { ThriftHBaseStore } from '../src';
import { wideColumnContract } from './wide-column-contract';

beforeAll(() => requireService('hbase'));

wideColumnContract(
  'HBase 2.6 through Thrift2',
  async () => new ThriftHBaseStore({ ...infra.hbase, poolSize: 2, timeoutMs: 30_000, namespace: 'default' }),
  () => uniqueName('gs_wc'),
);
