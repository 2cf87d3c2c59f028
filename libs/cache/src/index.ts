export { createRedis, pingRedis, closeRedis, type Redis } from './redis';
export { managedRedis, type ManagedRedis } from './managed-redis';
export { REDIS } from './token';
