export { ConfigError } from './errors';
export { loadConfig, type EnvSource } from './load';
export * from './schemas';
