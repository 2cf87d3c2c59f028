export { startTelemetry, type Telemetry, type TelemetryOptions } from './sdk';
export {
  extractGrpcContext,
  extractTraceContext,
  injectGrpcMetadata,
  injectTraceHeaders,
  type MetadataLike,
} from './propagation';
export { createLogger, type Logger, type LoggerOptions } from './logger';
export { gsMeter, SECONDS_BUCKETS } from './metrics';
