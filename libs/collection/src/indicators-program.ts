import { invalidArgument } from '@gridstation/errors';
import { DEFAULT_THRESHOLDS, type AreaIndicators, type IndicatorThresholds } from '@gridstation/metering';

// The collection.indicators slot's program: the 15 business-expansion indicators of a range of
// transformer areas, the aggregation run in the analytical store (ClickHouseIndicators). One task of
// an indicators task set takes one range; its output (the areas' indicators) is the task's output in
// the scheduler's output index.

export interface IndicatorSource {
  compute(thresholds: IndicatorThresholds, areaRange: { from: number; to: number }): Promise<{ indicators: AreaIndicators[]; rowsRead: number }>;
}

export interface IndicatorsInput {
  fromArea: number;
  toArea: number;
  thresholds?: Partial<IndicatorThresholds>;
}

export interface IndicatorsOutput {
  areas: AreaIndicators[];
  rowsRead: number;
  elapsedMs: number;
}

export const INDICATORS_PROGRAM = 'collection-indicators@1';

export function indicatorsProgram(source: IndicatorSource): (input: unknown, signal: AbortSignal) => Promise<IndicatorsOutput> {
  return async (input) => {
    const i = input as Partial<IndicatorsInput> | null;
    if (!i || !Number.isInteger(i.fromArea) || !Number.isInteger(i.toArea) || i.toArea! <= i.fromArea!) throw invalidArgument('BAD_INDICATORS_INPUT', 'an indicators task needs integer fromArea < toArea');
    const started = Date.now();
    const run = await source.compute({ ...DEFAULT_THRESHOLDS, ...(i.thresholds ?? {}) }, { from: i.fromArea!, to: i.toArea! });
    return { areas: run.indicators, rowsRead: run.rowsRead, elapsedMs: Date.now() - started };
  };
}
