import { metrics, type Meter } from '@opentelemetry/api';

/** The meter every Gridstation component records on; names are prefixed `gs_` in Prometheus. */
export function gsMeter(component: string): Meter {
  return metrics.getMeter(`gridstation.${component}`);
}
