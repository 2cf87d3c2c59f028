import type { CollectionPlan } from './engine';

// What the host provides to the collection feature (see ports.ts for the shapes).
export const COLLECTED_DATA = Symbol('gridstation.collection.data');
export const TASK_SETS = Symbol('gridstation.collection.taskSets');
export const TERMINAL_PRESENCE = Symbol('gridstation.collection.presence');
export const TERMINAL_METERS = Symbol('gridstation.collection.terminalMeters');
export const METER_PLACES = Symbol('gridstation.collection.meterPlaces');
export const PLAN_STORE = Symbol('gridstation.collection.planStore');
export const ALERT_SINK = Symbol('gridstation.collection.alertSink');
export const REVISION_STORE = Symbol('gridstation.collection.revisionStore');

/** Where plans are kept between restarts. */
export interface PlanStore {
  load(): Promise<CollectionPlan[]>;
  save(plans: readonly CollectionPlan[]): Promise<void>;
}
