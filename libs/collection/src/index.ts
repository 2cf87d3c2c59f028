export { ClickHouseIndicators, INDICATOR_MIGRATIONS_DIR, INDICATOR_TABLES, type IndicatorRun } from './clickhouse-indicators';
