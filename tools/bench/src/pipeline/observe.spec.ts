import { parseProm, quantiles, total } from './observe';

// Prometheus text exposition: histogram buckets are cumulative counts by upper bound `le`, with +Inf
// equal to _count; counters are summed here over their label sets.

const exposition = (buckets: Array<[string, number]>, extra = '') =>
  [
    '# HELP gs_storage_end_to_end_seconds Frame received -> rows stored',
    '# TYPE gs_storage_end_to_end_seconds histogram',
    ...buckets.map(([le, n]) => `gs_storage_end_to_end_seconds_bucket{otel_scope_name="gridstation.storage",le="${le}"} ${n}`),
    `gs_storage_end_to_end_seconds_count{otel_scope_name="gridstation.storage"} ${buckets.at(-1)![1]}`,
    'gs_storage_readings_checked_total{outcome="good"} 90',
    'gs_storage_readings_checked_total{outcome="duplicate"} 10',
    extra,
  ].join('\n');

describe('Prometheus scrape reading', () => {
  it('sums a counter over its label sets and filters by label text', () => {
    const s = parseProm(exposition([['0.1', 0], ['+Inf', 0]]));
    expect(total(s, 'gs_storage_readings_checked_total')).toBe(100);
    expect(total(s, 'gs_storage_readings_checked_total', 'outcome="good"')).toBe(90);
    expect(total(s, 'gs_missing_total')).toBe(0);
  });

  it('takes quantiles of the values recorded between two scrapes only, interpolating inside a bucket', () => {
    // Before: 100 values, all under 0.1 s. Between the scrapes: 100 more, 50 in (0.1, 0.2] and 50 in (0.2, 0.5].
    const before = parseProm(exposition([['0.1', 100], ['0.2', 100], ['0.5', 100], ['+Inf', 100]]));
    const after = parseProm(exposition([['0.1', 100], ['0.2', 150], ['0.5', 200], ['+Inf', 200]]));
    const q = quantiles(before, after, 'gs_storage_end_to_end_seconds')!;
    expect(q.count).toBe(100);
    expect(q.p50).toBeCloseTo(0.2, 6); // rank 50 is the last value of the (0.1, 0.2] bucket
    expect(q.p99).toBeCloseTo(0.2 + 0.3 * (49 / 50), 6);
    expect(q.maxBound).toBe(0.5);
  });

  it('reports nothing when no value was recorded in the window, and the last finite bound for +Inf values', () => {
    const same = parseProm(exposition([['0.1', 5], ['+Inf', 5]]));
    expect(quantiles(same, same, 'gs_storage_end_to_end_seconds')).toBeUndefined();
    const overflow = parseProm(exposition([['0.1', 0], ['1', 0], ['+Inf', 4]]));
    const q = quantiles(undefined, overflow, 'gs_storage_end_to_end_seconds')!;
    expect(q.p99).toBe(1);
    expect(q.maxBound).toBe(Number.POSITIVE_INFINITY);
  });

  it('selects a label set by its labels without mistaking a label that ends in "le" for the bucket bound', () => {
    const s = parseProm(
      [
        'gs_storage_flush_rows_bucket{table="readings",ok="true",le="100"} 1',
        'gs_storage_flush_rows_bucket{table="readings",ok="true",le="1000"} 3',
        'gs_storage_flush_rows_bucket{table="readings",ok="true",le="+Inf"} 3',
        'gs_storage_flush_rows_bucket{table="meter_data",ok="true",le="100"} 0',
        'gs_storage_flush_rows_bucket{table="meter_data",ok="true",le="1000"} 0',
        'gs_storage_flush_rows_bucket{table="meter_data",ok="true",le="+Inf"} 7',
      ].join('\n'),
    );
    const q = quantiles(undefined, s, 'gs_storage_flush_rows', 'table="readings"')!;
    expect(q.count).toBe(3);
    expect(q.maxBound).toBe(1000);
    expect(quantiles(undefined, s, 'gs_storage_flush_rows', 'table="meter_data"')!.count).toBe(7);
  });
});
