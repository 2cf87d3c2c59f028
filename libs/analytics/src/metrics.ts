import { gsMeter } from '@gridstation/telemetry';

const meter = gsMeter('analytics');

export const analyticsMetrics = {
  evidence: meter.createCounter('gs_analytics_evidence_total', { description: 'Evidence derived from events and readings, by kind' }),
  alerts: meter.createCounter('gs_analytics_alerts_total', { description: 'Alert revisions published, by kind and state' }),
  delay: meter.createHistogram('gs_analytics_detection_delay_ms', { description: 'From ingest of the decisive evidence to the decision', unit: 'ms' }),
};
