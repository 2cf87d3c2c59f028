#!/usr/bin/env node
// Writes the Grafana dashboards of deploy/grafana from the panel lists below (one place to edit; the
// JSON is what Grafana imports, provisioned or by hand). Run: node tools/grafana/dashboards.mjs
// (--check: exit 1 and name the files that differ from the committed JSON, as the test command does).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'deploy', 'grafana');
const DS = { type: 'prometheus', uid: '${datasource}' };

const dashboards = {
  'gridstation-pipeline': {
    title: 'Gridstation: collection pipeline',
    description: 'Terminals -> comm -> parser -> storage: connections, frames, readings, latency from frame receipt to both stores, lag, dead letters.',
    panels: [
      ['Terminals connected', 'stat', 'sum(gs_comm_connections)', 'short'],
      ['Frames received /s', 'timeseries', 'sum(rate(gs_comm_frames_received_total[1m]))', 'ops'],
      ['Readings parsed /s', 'timeseries', 'sum(rate(gs_parser_readings_total[1m]))', 'ops'],
      ['Readings stored /s', 'timeseries', 'sum(rate(gs_storage_readings_stored_total[1m]))', 'ops'],
      ['Receipt -> stored p99', 'timeseries', 'histogram_quantile(0.99, sum by (le) (rate(gs_storage_end_to_end_seconds_bucket[5m])))', 's'],
      ['Store flush p99 by table', 'timeseries', 'histogram_quantile(0.99, sum by (le, table) (rate(gs_storage_flush_duration_seconds_bucket[5m])))', 's'],
      ['Consumer lag by group', 'timeseries', 'sum by (group, topic) (gs_bus_consumer_lag)', 'short'],
      ['Dead letters /s by code', 'timeseries', 'sum by (code) (rate(gs_bus_messages_dead_lettered_total[5m]))', 'ops'],
      ['Logins refused /s', 'timeseries', 'sum(rate(gs_comm_logins_refused_total[5m]))', 'ops'],
      ['ClickHouse fail-overs', 'timeseries', 'sum by (from) (increase(gs_clickhouse_failovers_total[5m]))', 'short'],
      ['Resident memory by service', 'timeseries', 'sum by (service) (gs_process_resident_memory_bytes)', 'bytes'],
    ],
  },
  'gridstation-analytics': {
    title: 'Gridstation: real-time analytics',
    description: 'Outage evidence and alerts, detection delay, collection completeness.',
    panels: [
      ['Evidence /s', 'timeseries', 'sum by (kind) (rate(gs_analytics_evidence_total[5m]))', 'ops'],
      ['Alert revisions /s', 'timeseries', 'sum by (kind, state) (rate(gs_analytics_alerts_total[5m]))', 'ops'],
      ['Detection delay p99', 'timeseries', 'histogram_quantile(0.99, sum by (le) (rate(gs_analytics_detection_delay_ms_bucket[15m])))', 'ms'],
      ['Collection completeness by plan', 'timeseries', 'min by (plan) (gs_collection_window_success_ratio)', 'percentunit'],
      ['Collection reads /s by plan', 'timeseries', 'sum by (plan) (rate(gs_collection_reads_total[5m]))', 'ops'],
    ],
  },
  'gridstation-scheduler': {
    title: 'Gridstation: scheduler and workers',
    description: 'Task submissions and transitions, dispatches, commit time, workers attached and lost.',
    panels: [
      ['Workers attached (trial or not)', 'timeseries', 'sum by (trial) (gs_scheduler_workers)', 'short'],
      ['Tasks submitted /s', 'timeseries', 'sum(rate(gs_scheduler_tasks_submitted_total[5m]))', 'ops'],
      ['Transitions /s by state', 'timeseries', 'sum by (to) (rate(gs_scheduler_transitions_total[5m]))', 'ops'],
      ['Dispatches /s', 'timeseries', 'sum(rate(gs_scheduler_dispatches_total[5m]))', 'ops'],
      ['Commit p99', 'timeseries', 'histogram_quantile(0.99, sum by (le) (rate(gs_scheduler_commit_seconds_bucket[5m])))', 's'],
      ['Workers lost', 'timeseries', 'sum(increase(gs_scheduler_worker_lost_total[15m]))', 'short'],
      ['Illegal transitions refused', 'timeseries', 'sum(increase(gs_scheduler_illegal_transitions_total[15m]))', 'short'],
    ],
  },
  'gridstation-rebalancer': {
    title: 'Gridstation: edge agents and rebalancing',
    description: 'Load score per pod, hotspots found, agent moves, agents per pod.',
    panels: [
      ['Load score per pod', 'timeseries', 'max by (pod) (gs_rebalancer_pod_load_score)', 'short'],
      ['Hotspots /period', 'timeseries', 'sum(increase(gs_rebalancer_hotspots_total[5m]))', 'short'],
      ['Agent moves', 'timeseries', 'sum(increase(gs_rebalancer_moves_total[5m]))', 'short'],
      ['Agents per comm pod', 'timeseries', 'sum by (instance) (gs_comm_edge_agents)', 'short'],
      ['Edge records /s', 'timeseries', 'sum(rate(gs_comm_edge_records_total[1m]))', 'ops'],
      ['Unreachable pods', 'timeseries', 'sum by (pod) (increase(gs_rebalancer_pod_unreachable_total[5m]))', 'short'],
    ],
  },
};

function dashboard(uid, d) {
  return {
    uid,
    title: d.title,
    description: d.description,
    tags: ['gridstation'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: { list: [{ name: 'datasource', type: 'datasource', query: 'prometheus', label: 'Prometheus' }] },
    panels: d.panels.map(([title, type, expr, unit], i) => ({
      id: i + 1,
      title,
      type,
      datasource: DS,
      gridPos: { x: (i % 3) * 8, y: Math.floor(i / 3) * 8, w: 8, h: 8 },
      fieldConfig: { defaults: { unit }, overrides: [] },
      targets: [{ refId: 'A', datasource: DS, expr, legendFormat: '__auto' }],
    })),
  };
}

export function render() {
  return Object.fromEntries(Object.entries(dashboards).map(([uid, d]) => [`${uid}.json`, `${JSON.stringify(dashboard(uid, d), null, 2)}\n`]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const files = render();
  if (process.argv.includes('--check')) {
    const stale = Object.entries(files).filter(([file, text]) => !existsSync(join(OUT, file)) || readFileSync(join(OUT, file), 'utf8') !== text).map(([f]) => f);
    if (stale.length > 0) {
      console.error(`out of date (run node tools/grafana/dashboards.mjs): ${stale.join(', ')}`);
      process.exit(1);
    }
    console.log(`${Object.keys(files).length} dashboards up to date`);
  } else {
    for (const [file, text] of Object.entries(files)) writeFileSync(join(OUT, file), text);
    console.log(`wrote ${Object.keys(files).length} dashboards to ${OUT}`);
  }
}
