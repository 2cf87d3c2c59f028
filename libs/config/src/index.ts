export { ConfigError } from './errors';
export { loadConfig, type EnvSource } from './load';
export * from './schemas';
export { unknownVariables, type UnknownVariable } from './unknown';
