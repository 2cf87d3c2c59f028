export { waitFor, sleep, collect } from './wait-for';
export { infra, repoRoot, testEnvironment, configureTestEnvironment, type TestEnvironment } from './environment';
export { requireService, hbaseAdmin, uniqueName, clientBinary } from './infra';
export { testLogger } from './silent-logger';
export { freePort, httpGet, grpcHealthCheck, grpcReflectionServices, localServiceEnv, distributedServiceEnv } from './service-probes';
export { expectServiceContract, serviceContractSuite, type ProbeTarget } from './service-contract';
export { unary, insecure } from './grpc-clients';
export { spawnMain, type SpawnedMain } from './spawn-main';
export { pythonTaskClient } from './python-task-client';
