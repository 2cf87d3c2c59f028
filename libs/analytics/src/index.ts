export { OutageEngine, DEFAULT_OUTAGE_OPTIONS, newFeederState, base as alertBase, type FeederState, type OutageOptions, type OutageStats } from './outage-engine';
export { evidenceFromEvent, evidenceFromVoltage, voltageSamples, supplyLostIn, ZERO_VOLTAGE_V } from './signals';
export { ALERT_STORE, FEEDER_STATE_STORE, matches, type AlertStore, type FeederStateStore } from './ports';
export { ANALYTICS_MIGRATIONS_DIR, ClickHouseAlertStore, RedisFeederStateStore } from './stores';
export { AlertHub, AlertRecorder, OutageWorker, SignalWorker } from './workers';
export { AlertController } from './alert.controller';
export { AnalyticsFeatureModule, type AnalyticsFeatureOptions } from './analytics.module';
export { LimitChecker, DEFAULT_LIMITS, type LimitOptions } from './limits';
