export { HealthRegistry, type CheckResult, type Readiness } from './health-registry';
export { adaptersModule, provideResource, provideWorkerLifecycle, type ManagedResource } from './resources';
export { startService, type GrpcApi, type RunningService, type StartServiceOptions } from './start-service';
export { launch } from './launch';
export { HEALTH, LOGGER, SERVICE_CONFIG, TELEMETRY } from './tokens';
export { GrpcErrorFilter, grpcStatusOf, deadlineOf } from './grpc-errors';
