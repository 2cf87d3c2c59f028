import { loadConfig, schedulerConfigSchema } from '@gridstation/config';
import { serviceContractSuite, uniqueName } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite(
  'scheduler',
  { needs: ['kafka', 'redis', 'clickhouse'], checks: ['bus', 'redis', 'task-store', 'clickhouse', 'readings', 'topology', 'scheduler'], env: { GS_SCHEDULER_KEY_PREFIX: `${uniqueName('gs:sched-contract')}:`, GS_WORKER_POOL: 'none' } },
  (env) => loadConfig('scheduler', schedulerConfigSchema, env),
  bootstrap,
);
