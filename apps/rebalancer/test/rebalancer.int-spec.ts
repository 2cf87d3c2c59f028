import { loadConfig, rebalancerConfigSchema } from '@gridstation/config';
import { serviceContractSuite } from '@gridstation/testing';
import { bootstrap } from '../src/bootstrap';

serviceContractSuite('rebalancer', { needs: ['kafka', 'redis'], checks: ['bus', 'redis'] }, (env) => loadConfig('rebalancer', rebalancerConfigSchema, env), bootstrap);
