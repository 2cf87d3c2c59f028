export { ClickHouseIndicators, INDICATOR_MIGRATIONS_DIR, INDICATOR_TABLES, type IndicatorRun } from './clickhouse-indicators';
export { CollectionEngine, PLAN_DEFAULTS, type CollectionPlan, type EngineOptions, type PlanItem, type RoundReport } from './engine';
export { collectionReadProgram, READ_PROGRAM, type FrozenReader, type ReadInput, type ReadOutcomeKind, type ReadOutput } from './read-program';
export type { CollectedData, MeterPlaces, TaskOutcome, TaskSets, TerminalMeters, TerminalPresence } from './ports';
export { CollectionFeatureModule, CollectionClock, type CollectionFeatureOptions } from './collection.module';
export { COLLECTED_DATA, METER_PLACES, PLAN_STORE, TASK_SETS, TERMINAL_METERS, TERMINAL_PRESENCE, type PlanStore } from './tokens';
export { FilePlanStore } from './file-plan-store';
export { archiveSyncProgram, SYNC_PROGRAM, type ConfigChannel, type SyncInput, type SyncOutput } from './sync-program';
export { clockProgram, CLOCK_PROGRAM, type ClockChannel, type ClockOutput } from './clock-program';
