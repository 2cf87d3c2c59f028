import { loadConfig, analyticsConfigSchema } from '@gridstation/config';
import { serviceContractSuite } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite('analytics', { needs: ['kafka', 'redis', 'clickhouse'], checks: ['bus', 'redis', 'clickhouse', 'topology'], env: { GS_CLICKHOUSE_DATABASE: 'gs_analytics_it' } }, (env) => loadConfig('analytics', analyticsConfigSchema, env), bootstrap);
