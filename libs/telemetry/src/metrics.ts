import { metrics, type Meter } from '@opentelemetry/api';

/** The meter every Gridstation component records on; names are prefixed `gs_` in Prometheus. */
export function gsMeter(component: string): Meter {
  return metrics.getMeter(`gridstation.${component}`);
}

/**
 * Bucket bounds for histograms in seconds. The SDK's default bounds (0, 5, 10, 25 ...) suit
 * milliseconds and would put every latency of this system into the first bucket.
 */
export const SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 60];
