import { loadConfig, commConfigSchema } from '@gridstation/config';
import { serviceContractSuite } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite('comm', { needs: ['kafka', 'redis'], checks: ['bus', 'redis'] }, (env) => loadConfig('comm', commConfigSchema, env), bootstrap);
