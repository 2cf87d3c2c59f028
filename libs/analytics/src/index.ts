export { OutageEngine, DEFAULT_OUTAGE_OPTIONS, newFeederState, base as alertBase, type FeederState, type OutageOptions, type OutageStats } from './outage-engine';
