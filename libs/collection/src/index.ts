export { ClickHouseIndicators, INDICATOR_MIGRATIONS_DIR, INDICATOR_TABLES, type IndicatorRun } from './clickhouse-indicators';
export { CollectionEngine, PLAN_DEFAULTS, type CollectionPlan, type EngineOptions, type PlanItem, type RoundReport } from './engine';
export { collectionReadProgram, READ_PROGRAM, type FrozenReader, type ReadInput, type ReadOutcomeKind, type ReadOutput } from './read-program';
export type { CollectedData, MeterPlaces, TaskOutcome, TaskSets, TerminalMeters, TerminalPresence } from './ports';
