export { waitFor, sleep } from './wait-for';
export { infra, requireService, hbaseAdmin, uniqueName, REPO_ROOT, INFRA_SCRIPT } from './infra';
export { testLogger } from './silent-logger';
export { freePort, httpGet, grpcHealthCheck, grpcReflectionServices, localServiceEnv } from './service-probes';
export { expectServiceContract, type ProbeTarget } from './service-contract';
export { unary, insecure } from './grpc-clients';
export { spawnMain, type SpawnedMain } from './spawn-main';
