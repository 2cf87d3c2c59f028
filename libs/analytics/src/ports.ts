import { AlertState, type Alert, type AlertFilter } from '@gridstation/contracts';
import type { FeederState } from './outage-engine';

/** Where outage state lives between decisions (Redis in the distributed mode: any instance can resume a feeder). */
export interface FeederStateStore {
  load(feeders: readonly string[]): Promise<Map<string, FeederState>>;
  save(states: readonly FeederState[]): Promise<void>;
  /** Feeders with a decision still to make (pending evidence or an open flapping alert), with when. */
  pending(): Promise<Map<string, number>>;
  markPending(feeder: string, dueAt: number): Promise<void>;
  healthCheck(): Promise<void>;
}

export const FEEDER_STATE_STORE = Symbol('gridstation.analytics.feederStateStore');

/** Alerts as stored for queries: the newest revision of each. */
export interface AlertStore {
  migrate(): Promise<void>;
  insert(alerts: readonly Alert[]): Promise<void>;
  query(q: { fromMs: number; toMs: number; filter: AlertFilter | undefined; limit: number }): Promise<Alert[]>;
  healthCheck(): Promise<void>;
}

export const ALERT_STORE = Symbol('gridstation.analytics.alertStore');

/** Whether an alert passes a subscriber's or a query's filter. */
export function matches(a: Alert, f: AlertFilter | undefined): boolean {
  if (!f) return true;
  if (f.kinds.length > 0 && !f.kinds.includes(a.kind)) return false;
  if (f.elementIds.length > 0 && ![a.elementId, a.transformerAreaId, a.feederId, a.substationId].some((id) => id && f.elementIds.includes(id))) return false;
  if (a.confidence < f.minConfidence) return false;
  if (f.excludeCleared && a.state === AlertState.ALERT_STATE_CLEARED) return false;
  return true;
}
