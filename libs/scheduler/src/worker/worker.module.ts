import { Module, type DynamicModule } from '@nestjs/common';
import { HEALTH, LOGGER, provideWorkerLifecycle, type HealthRegistry } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { PRODUCTION_LIMITS, TRIAL_LIMITS } from '../programs/sandbox';
import { GrpcSchedulerLink } from './grpc-link';
import { WorkerRuntime } from './worker-runtime';

export interface WorkerFeatureOptions {
  scheduler: string;
  workerId: string;
  trial: boolean;
  cpu: number;
  memoryBytes: number;
  heartbeatMs: number;
  heapMb?: number;
  timeoutMs?: number;
}

/** A worker process: its runtime connected to the scheduler over gRPC, stopped gracefully (the task finishes first). */
@Module({})
export class WorkerFeatureModule {
  static register(o: WorkerFeatureOptions): DynamicModule {
    const base = o.trial ? TRIAL_LIMITS : PRODUCTION_LIMITS;
    const limits = { ...base, ...(o.heapMb ? { maxOldGenerationSizeMb: o.heapMb } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) };
    return {
      module: WorkerFeatureModule,
      providers: [
        {
          provide: WorkerRuntime,
          inject: [LOGGER, HEALTH],
          useFactory: (log: Logger, health: HealthRegistry) => {
            const link = new GrpcSchedulerLink(o.scheduler);
            const w = new WorkerRuntime(link, { workerId: o.workerId, trial: o.trial, cpu: o.cpu, memoryBytes: o.memoryBytes, heartbeatMs: o.heartbeatMs, limits, reconnectMs: 250 }, log.child({ component: 'worker' }));
            health.register('scheduler-stream', async () => {
              if (!w.connected) throw new Error(`no Work stream to the scheduler at ${o.scheduler}`);
            });
            return w;
          },
        },
        provideWorkerLifecycle<WorkerRuntime>(WorkerRuntime, async (w) => w.start(), (w) => w.stop()),
      ],
      exports: [WorkerRuntime],
    };
  }
}
