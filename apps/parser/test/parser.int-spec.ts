import { loadConfig, parserConfigSchema } from '@gridstation/config';
import { serviceContractSuite } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite('parser', { needs: ['kafka', 'redis'], checks: ['bus', 'redis'] }, (env) => loadConfig('parser', parserConfigSchema, env), bootstrap);
