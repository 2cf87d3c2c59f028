import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, TOPICS, type MessageBus } from '@gridstation/bus';
import type { ManagedRedis } from '@gridstation/cache';
import type { SchedulerConfig } from '@gridstation/config';
import {
  EDGE_POOL,
  EDGE_REGISTRY,
  EDGE_TASK_PROGRAM,
  edgeClusterClient,
  EdgeRegistry,
  EdgeRegistryController,
  EdgeResultsConsumer,
  edgeTaskProgram,
  kubernetesConnectionCheck,
  RedisRegistryStore,
  RedisResultIndex,
} from '@gridstation/edgetask';
import { HostExecutor, InProcessLink, PRODUCTION_LIMITS, SchedulerService, WorkerRuntime } from '@gridstation/scheduler';
import { LOGGER, provideWorkerLifecycle, STOP_ORDER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { TASK_REDIS } from './adapters/adapters.module';

// Edge computing tasks in the scheduler service (GS_EDGE_TASKS=on): the registries (EdgeRegistryService,
// in the task store's Redis, which persists every write), the results of edge tasks
// (gs.edge-results.v1 -> results index), and the edge pool's workers, which run the edge.task programs:
// each creates a GridTask on its edge node and holds its task while the GridTask runs. They wait on a
// remote cluster, not on this process's CPU, so several run side by side.

const EDGE_WORKERS = Symbol('gridstation.scheduler.edgeWorkers');
const EDGE_RESULTS = Symbol('gridstation.scheduler.edgeResults');
const RESULTS_INDEX = Symbol('gridstation.scheduler.edgeResultsIndex');
const EDGE_WORKER_COUNT = 4;

@Module({})
export class SchedulerEdgeModule {
  static register(config: SchedulerConfig, o: { timeoutMs: number; pollMs: number }): DynamicModule {
    return {
      module: SchedulerEdgeModule,
      controllers: [EdgeRegistryController],
      providers: [
        { provide: EDGE_REGISTRY, inject: [TASK_REDIS], useFactory: (r: ManagedRedis) => new EdgeRegistry(new RedisRegistryStore(r.client, `${config.keyPrefix}edge:registry:`), kubernetesConnectionCheck) },
        { provide: RESULTS_INDEX, inject: [TASK_REDIS], useFactory: (r: ManagedRedis) => new RedisResultIndex(r.client, `${config.keyPrefix}edge:results:`) },
        { provide: EDGE_RESULTS, inject: [BUS, RESULTS_INDEX], useFactory: (bus: MessageBus, index: RedisResultIndex) => new EdgeResultsConsumer(bus, index, 'gs-scheduler-edge-results') },
        provideWorkerLifecycle<EdgeResultsConsumer>(EDGE_RESULTS, (c) => c.start(), (c) => c.stop(), STOP_ORDER.intake),
        {
          provide: EDGE_WORKERS,
          inject: [SchedulerService, EDGE_REGISTRY, RESULTS_INDEX, LOGGER],
          useFactory: (svc: SchedulerService, registry: EdgeRegistry, results: RedisResultIndex, log: Logger) => {
            const program = edgeTaskProgram({ registry, cluster: edgeClusterClient, results, resultTopic: TOPICS.edgeResults, log: log.child({ component: 'edge-delivery' }), pollMs: o.pollMs });
            return Array.from({ length: EDGE_WORKER_COUNT }, (_, i) =>
              new WorkerRuntime(
                new InProcessLink(svc.scheduler, svc.programs),
                { workerId: `${config.instanceId}-edge-${i}`, trial: false, pool: EDGE_POOL, executor: new HostExecutor(new Map([[EDGE_TASK_PROGRAM, program]]), o.timeoutMs), cpu: 1, memoryBytes: 0, heartbeatMs: 2_000, limits: PRODUCTION_LIMITS, reconnectMs: 500 },
                log,
              ),
            );
          },
        },
        provideWorkerLifecycle<WorkerRuntime[]>(EDGE_WORKERS, async (ws) => ws.forEach((w) => w.start()), (ws) => Promise.all(ws.map((w) => w.stop(5_000))), STOP_ORDER.derived),
      ],
    };
  }
}
