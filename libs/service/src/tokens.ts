/** Nest injection tokens shared by every service. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const TELEMETRY = Symbol('TELEMETRY');
export const LOGGER = Symbol('LOGGER');
export const HEALTH = Symbol('HEALTH');
export const GRPC_SERVICES = Symbol('gridstation.grpcServices');
export const SHUTDOWN_SEQUENCE = Symbol('gridstation.shutdownSequence');
