import { loadConfig, schedulerConfigSchema } from '@gridstation/config';
import { serviceContractSuite } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite('scheduler', { needs: ['kafka', 'redis'], checks: ['bus', 'redis'] }, (env) => loadConfig('scheduler', schedulerConfigSchema, env), bootstrap);
