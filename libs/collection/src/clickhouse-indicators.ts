import { join } from 'node:path';
import { applyMigrations, loadMigrations, type ClickHouseHandle } from '@gridstation/clickhouse';
import { combineIndicators, DEFAULT_THRESHOLDS, indicatorQueries, type AreaIndicators, type IndicatorTables, type IndicatorThresholds, type MasterRow, type PhaseRow, type UserRow } from '@gridstation/metering';

// The indicators computed where the data is: the three aggregation queries run in ClickHouse (one
// scan of the year of daily load each), only one row per area comes back, and the 15 indicators are
// assembled from those rows.

export const INDICATOR_MIGRATIONS_DIR = join(__dirname, 'migrations');
export const INDICATOR_TABLES: IndicatorTables = { areas: 'ind_areas', meters: 'ind_meters', load: 'ind_load' };

export interface IndicatorRun {
  indicators: AreaIndicators[];
  /** Wall time of each query, ms. */
  timings: { master: number; users: number; phases: number };
  /** Rows ClickHouse read for the run (from its query statistics). */
  rowsRead: number;
}

export class ClickHouseIndicators {
  constructor(
    private readonly ch: { readonly handle: ClickHouseHandle },
    private readonly tables: IndicatorTables = INDICATOR_TABLES,
  ) {}

  async migrate(): Promise<void> {
    await applyMigrations(this.ch.handle.client, loadMigrations(INDICATOR_MIGRATIONS_DIR), this.ch.handle.caps);
  }

  /** All areas, or those of [from, to) (a task of a task set takes one range). */
  async compute(thresholds: IndicatorThresholds = DEFAULT_THRESHOLDS, areaRange?: { from: number; to: number }): Promise<IndicatorRun> {
    const q = indicatorQueries(this.tables, thresholds, areaRange);
    let rowsRead = 0;
    const run = async <T>(query: string): Promise<[T[], number]> => {
      const started = Date.now();
      const rs = await this.ch.handle.client.query({ query, format: 'JSON' });
      const body = (await rs.json()) as unknown as { data: T[]; statistics?: { rows_read?: number } };
      rowsRead += Number(body.statistics?.rows_read ?? 0);
      return [body.data, Date.now() - started];
    };
    const [master, tm] = await run<MasterRow>(q.master);
    const [users, tu] = await run<UserRow>(q.users);
    const [phases, tp] = await run<PhaseRow>(q.phases);
    return { indicators: combineIndicators(master, users, phases, thresholds), timings: { master: tm, users: tu, phases: tp }, rowsRead };
  }
}
