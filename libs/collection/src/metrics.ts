import { gsMeter } from '@gridstation/telemetry';
import type { RecollectionRequest } from '@gridstation/metering';

// Collection's instruments. The success ratio is the operators' KPI over each plan's look-back window
// as of its last round (before that round's reads); requests are counted by state.

let instruments: ReturnType<typeof create> | undefined;

export interface CollectionGauges {
  windowRatio: () => Map<string, number>;
  requests: () => readonly RecollectionRequest[];
}

function create() {
  const m = gsMeter('collection');
  const sources = new Set<CollectionGauges>();
  const ratio = m.createObservableGauge('gs_collection_window_success_ratio', { description: 'Share of expected slots stored over the plan\'s look-back window, as of its last round, by plan' });
  ratio.addCallback((r) => {
    for (const s of sources) for (const [plan, v] of s.windowRatio()) r.observe(v, { plan });
  });
  const requests = m.createObservableGauge('gs_collection_recollection_requests', { description: 'Re-collection requests by state (open, waiting_for_login, filled, given_up) and give-up reason' });
  requests.addCallback((r) => {
    const counts = new Map<string, { state: string; reason: string; n: number }>();
    for (const s of sources) {
      for (const q of s.requests()) {
        const k = `${q.state}|${q.reason ?? ''}`;
        const c = counts.get(k) ?? { state: q.state, reason: q.reason ?? '', n: 0 };
        c.n++;
        counts.set(k, c);
      }
    }
    for (const c of counts.values()) r.observe(c.n, { state: c.state, reason: c.reason });
  });
  return {
    sources,
    rounds: m.createCounter('gs_collection_rounds_total', { description: 'Collection rounds run, by plan' }),
    reads: m.createCounter('gs_collection_reads_total', { description: 'Terminal reads submitted as tasks, by plan' }),
    gaps: m.createCounter('gs_collection_gaps_found_total', { description: 'Gaps found by rounds (a gap still open is found again by the next round), by plan' }),
  };
}

export const collectionMetrics = () => (instruments ??= create());
