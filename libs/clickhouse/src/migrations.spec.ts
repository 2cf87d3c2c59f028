import { replicatedStatement } from './migrations';

describe('replicated statements', () => {
  it('rewrites a *MergeTree engine to its Replicated form with the table path and the replica macro', () => {
    expect(replicatedStatement('CREATE TABLE IF NOT EXISTS readings (a UInt8) ENGINE = ReplacingMergeTree(stored_at_ms) ORDER BY a', 'db1')).toBe(
      "CREATE TABLE IF NOT EXISTS readings (a UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/db1/readings', '{replica}', stored_at_ms) ORDER BY a",
    );
    expect(replicatedStatement('CREATE TABLE t (a UInt8) ENGINE = AggregatingMergeTree() ORDER BY a', 'db1')).toContain("ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/db1/t', '{replica}') ORDER BY a");
    expect(replicatedStatement('CREATE TABLE t (a UInt8) ENGINE = MergeTree() ORDER BY a', 'db1')).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/db1/t', '{replica}')");
    const mv = 'CREATE MATERIALIZED VIEW IF NOT EXISTS v TO t AS SELECT a FROM r';
    expect(replicatedStatement(mv, 'db1')).toBe(mv);
  });
});
