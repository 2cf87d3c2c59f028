import pino, { type Logger } from 'pino';

/** A logger for tests: silent unless a level is passed. */
export function testLogger(level = 'silent'): Logger {
  return pino({ level });
}
