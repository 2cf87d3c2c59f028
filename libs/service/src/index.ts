export { HealthRegistry, type CheckResult, type Readiness } from './health-registry';
export { adaptersModule, provideResource, provideWorkerLifecycle, ShutdownSequence, STOP_ORDER, type ManagedResource } from './resources';
export { encodePageToken, decodePageToken } from './page-token';
export { startService, type DirectGrpcService, type GrpcApi, type RunningService, type StartServiceOptions } from './start-service';
export { launch } from './launch';
export { HEALTH, LOGGER, SERVICE_CONFIG, TELEMETRY } from './tokens';
export { GrpcErrorFilter, grpcStatusOf, deadlineOf } from './grpc-errors';
export { resolveAddresses } from './pod-addresses';
