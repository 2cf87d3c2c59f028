import { fromThriftResult, toThriftPut } from './thrift-store';
import { thriftTypes as T } from './thrift-api';

describe('Thrift2 value mapping', () => {
  it('builds a TPut with every cell as bytes', () => {
    const put = toThriftPut({ row: 'r1', cells: [{ family: 'd', qualifier: 'q', value: Buffer.from([0, 255]) }] }) as {
      row: Buffer;
      columnValues: Array<{ family: Buffer; qualifier: Buffer; value: Buffer }>;
    };
    expect(put).toBeInstanceOf(T.TPut);
    expect(put.row.toString()).toBe('r1');
    expect(put.columnValues[0]!.family.toString()).toBe('d');
    expect([...put.columnValues[0]!.value]).toEqual([0, 255]);
  });

  it('maps an empty TResult (row not found) to null', () => {
    expect(fromThriftResult({ columnValues: [] })).toBeNull();
  });

  it('maps cells and their timestamps', () => {
    const row = fromThriftResult({
      row: Buffer.from('r'),
      columnValues: [{ family: Buffer.from('d'), qualifier: Buffer.from('v'), value: Buffer.from('x'), timestamp: { toNumber: () => 42 } }],
    });
    expect(row).toEqual({ row: Buffer.from('r'), cells: [{ family: 'd', qualifier: 'v', value: Buffer.from('x'), timestamp: 42 }] });
  });
});
