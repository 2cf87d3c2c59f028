// Wire contracts generated from proto/ by ts-proto (`nx run contracts:generate`). Never edit src/gen by hand.
export * from './gen/gridstation/v1/common';
export * from './gen/gridstation/v1/raw_frame';
export * from './gen/gridstation/v1/reading';
export * from './gen/gridstation/v1/event';
export * from './gen/gridstation/v1/dead_letter';
export * as health from './gen/grpc/health/v1/health';
export { PROTO_ROOT, protoPath } from './proto-files';
export * from './gen/gridstation/v1/query';
export * from './gen/gridstation/v1/downlink';
export * from './gen/gridstation/v1/alert';
export * from './gen/gridstation/v1/task';
export * from './gen/gridstation/v1/program';
export * from './gen/gridstation/v1/worker';
export * from './gen/gridstation/v1/collection';
export * from './gen/gridstation/v1/edge';
export * from './gen/gridstation/v1/edgetask';
export * from './gen/gridstation/v1/topology';
export * from './gen/gridstation/v1/terminal';
