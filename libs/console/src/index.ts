export { AuthError, cookie, hashPassword, parseUsers, Sessions, type Role, type Session, type User } from './auth';
export { COOKIE, ConsoleController } from './console.controller';
export { ConsoleModule, type ConsoleModuleOptions } from './console.module';
export { MetricsSampler, parseExposition, quantileBetween, type Sample } from './metrics';
