import { resolve } from 'node:path';
import { Module, type DynamicModule } from '@nestjs/common';
import type { SchedulerConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { BUS, managedBus } from '@gridstation/bus';
import { managedRedis, REDIS, type ManagedRedis } from '@gridstation/cache';
import { CLICKHOUSE, managedClickHouse, type ManagedClickHouse } from '@gridstation/clickhouse';
import { ClickHouseTaskHistory, CONTAINER_POOL, KubernetesPool, LocalProcessPool, RedisTaskStore, TASK_HISTORY, TASK_STORE } from '@gridstation/scheduler';
import { LOGGER } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';

export const TASK_REDIS = Symbol('TASK_REDIS');
const ROOT = resolve(__dirname, '../../../..');

/** Every client of the outside world this service uses; nothing else in the service opens connections. */
@Module({})
export class SchedulerAdaptersModule {
  static register(config: SchedulerConfig): DynamicModule {
    const providers = [
      ...provideResource(BUS, 'bus', (log) => managedBus(config.bus, 'scheduler', log)),
      ...provideResource(REDIS, 'redis', () => managedRedis(config.redis)),
      // The task store's own connection (it may be another Redis: one that fsyncs every write).
      ...provideResource(TASK_REDIS, 'task-store', () => managedRedis(config.taskRedis)),
      ...provideResource(CLICKHOUSE, 'clickhouse', () => managedClickHouse(config.clickhouse)),
      { provide: TASK_STORE, inject: [TASK_REDIS], useFactory: (r: ManagedRedis) => new RedisTaskStore(r.client, config.keyPrefix) },
      { provide: TASK_HISTORY, inject: [CLICKHOUSE], useFactory: (ch: ManagedClickHouse) => new ClickHouseTaskHistory(ch) },
      ...(config.workerPool === 'none' ? [] : [{ provide: CONTAINER_POOL, inject: [LOGGER], useFactory: (log: Logger) => pool(config, log.child({ component: 'containers' })) }]),
    ];
    return adaptersModule(SchedulerAdaptersModule, providers);
  }
}

function pool(config: SchedulerConfig, log: Logger) {
  if (config.workerPool === 'kubernetes') return new KubernetesPool(config.kubernetes, log);
  const command = config.workerCommand?.split(/\s+/) ?? [process.execPath, '-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', resolve(ROOT, 'apps/worker/src/main.ts')];
  const grpc = `${config.grpc.host === '0.0.0.0' ? '127.0.0.1' : config.grpc.host}:${config.grpc.port}`;
  return new LocalProcessPool({ command, cwd: ROOT, env: { GS_SCHEDULER_GRPC: grpc, GS_HTTP_PORT: '0', GS_GRPC_PORT: '0', GS_HTTP_HOST: '127.0.0.1', GS_GRPC_HOST: '127.0.0.1', TS_NODE_PROJECT: resolve(ROOT, 'tsconfig.base.json') }, prefix: config.instanceId, trialMemoryMb: 256, trialEnv: { GS_PROGRAM_TIMEOUT_MS: String(config.trial.timeoutMs), GS_PROGRAM_HEAP_MB: String(config.trial.heapMb) } }, log);
}
