import { monitorEventLoopDelay } from 'node:perf_hooks';
import { gsMeter } from '@gridstation/telemetry';

/** Process-level gauges every service exports, read at scrape time. Returns a stop function. */
export function registerProcessMetrics(service: string, instance: string): () => void {
  const meter = gsMeter('process');
  const loop = monitorEventLoopDelay({ resolution: 20 });
  loop.enable();
  const attrs = { service, instance };
  meter.createObservableGauge('gs_service_up', { description: 'Always 1 while the service runs' }).addCallback((r) => r.observe(1, attrs));
  meter
    .createObservableGauge('gs_process_resident_memory_bytes', { description: 'Resident set size', unit: 'By' })
    .addCallback((r) => r.observe(process.memoryUsage().rss, attrs));
  meter
    .createObservableGauge('gs_process_heap_used_bytes', { description: 'V8 heap in use', unit: 'By' })
    .addCallback((r) => r.observe(process.memoryUsage().heapUsed, attrs));
  meter
    .createObservableGauge('gs_process_heap_total_bytes', { description: 'V8 heap reserved', unit: 'By' })
    .addCallback((r) => r.observe(process.memoryUsage().heapTotal, attrs));
  meter
    .createObservableGauge('gs_process_external_memory_bytes', { description: 'Memory of Buffers and other objects outside the V8 heap', unit: 'By' })
    .addCallback((r) => r.observe(process.memoryUsage().external, attrs));
  meter
    .createObservableGauge('gs_nodejs_eventloop_delay_p99_seconds', { description: 'Event loop delay, 99th percentile since the last scrape', unit: 's' })
    .addCallback((r) => {
      r.observe(loop.percentile(99) / 1e9, attrs);
      loop.reset();
    });
  return () => loop.disable();
}
