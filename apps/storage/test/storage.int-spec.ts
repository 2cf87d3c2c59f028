import { loadConfig, storageConfigSchema } from '@gridstation/config';
import { serviceContractSuite } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite('storage', { needs: ['kafka', 'clickhouse', 'hbase', 'redis'], checks: ['bus', 'clickhouse', 'hbase', 'redis'], env: { GS_CLICKHOUSE_DATABASE: 'gs_storage_it' } }, (env) => loadConfig('storage', storageConfigSchema, env), bootstrap);
