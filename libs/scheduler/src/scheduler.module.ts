import { Module, type DynamicModule } from '@nestjs/common';
import { BUS, type MessageBus } from '@gridstation/bus';
import { HEALTH, LOGGER, provideWorkerLifecycle, type HealthRegistry } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { CONTAINER_POOL, type ContainerPool } from './containers/container-pool';
import { ProgramController } from './grpc/program.controller';
import { TaskController } from './grpc/task.controller';
import { TASK_HISTORY, type TaskHistory } from './history/task-history';
import { Scheduler } from './scheduler';
import { DEFAULT_SCHEDULER_FEATURE, SchedulerService, type SchedulerFeatureOptions } from './scheduler.service';
import { TASK_STORE, type TaskStore } from './store/task-store';
import { TaskQueries } from './task-queries';

/**
 * The scheduler feature: task sets, co-scheduling, program slots, workers (TaskService, ProgramService,
 * and WorkerService through WORKER_GRPC_SERVICE). Needs BUS and TASK_STORE from the host's adapters;
 * CONTAINER_POOL and TASK_HISTORY when the host has them.
 */
@Module({})
export class SchedulerFeatureModule {
  static register(overrides: Partial<SchedulerFeatureOptions> = {}): DynamicModule {
    const options = { ...DEFAULT_SCHEDULER_FEATURE, ...overrides };
    return {
      module: SchedulerFeatureModule,
      controllers: [TaskController, ProgramController],
      providers: [
        {
          provide: SchedulerService,
          inject: [TASK_STORE, BUS, LOGGER, HEALTH, { token: CONTAINER_POOL, optional: true }, { token: TASK_HISTORY, optional: true }],
          useFactory: (store: TaskStore, bus: MessageBus, log: Logger, health: HealthRegistry, pool?: ContainerPool, history?: TaskHistory) => {
            const svc = new SchedulerService(store, bus, log, options, pool, history);
            health.register('scheduler', async () => {
              const why = svc.scheduler.healthy;
              if (why) throw new Error(why);
            });
            return svc;
          },
        },
        { provide: Scheduler, inject: [SchedulerService], useFactory: (s: SchedulerService) => s.scheduler },
        { provide: TaskQueries, inject: [TASK_STORE, SchedulerService], useFactory: (store: TaskStore, s: SchedulerService) => new TaskQueries(store, s.scheduler) },
        provideWorkerLifecycle<SchedulerService>(SchedulerService, (s) => s.start(), (s) => s.stop()),
      ],
      exports: [SchedulerService, Scheduler, TaskQueries],
    };
  }
}
