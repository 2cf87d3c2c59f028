import { classifyError, isDependencyUnavailable, registerUnavailabilityRule } from './classify';
import { DependencyUnavailableError, GsError, invalidArgument } from './errors';

describe('classifyError', () => {
  it('retries a dependency that is unavailable, by kind or by network error code', () => {
    expect(classifyError(new DependencyUnavailableError('hbase', 'thrift gateway refused the connection'))).toEqual({
      retriable: true,
      code: 'HBASE_UNAVAILABLE',
      reason: 'DependencyUnavailableError: thrift gateway refused the connection',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9090'), { code: 'ECONNREFUSED' });
    expect(classifyError(refused)).toMatchObject({ retriable: true, code: 'DEPENDENCY_UNAVAILABLE' });
  });

  it('does not retry what is wrong with the work itself', () => {
    expect(classifyError(invalidArgument('ROW_KEY_TOO_LONG', 'row key of 40000 bytes'))).toEqual({ retriable: false, code: 'ROW_KEY_TOO_LONG', reason: 'GsError: row key of 40000 bytes' });
    expect(classifyError(new TypeError("Cannot read properties of undefined (reading 'x')"))).toMatchObject({ retriable: false, code: 'PROCESSING_FAILED' });
    expect(classifyError('a string')).toEqual({ retriable: false, code: 'PROCESSING_FAILED', reason: 'a string' });
  });

  it('looks through the cause chain, and the station’s own kind outranks what it wraps', () => {
    const net = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isDependencyUnavailable(new Error('insert failed', { cause: net }))).toBe(true);
    expect(isDependencyUnavailable(new GsError('internal', 'BUG', 'wrapped on purpose', { cause: net }))).toBe(false);
  });

  it('asks the rules adapters registered for their clients', () => {
    class ClientTimeout extends Error {}
    expect(isDependencyUnavailable(new ClientTimeout('timed out'))).toBe(false);
    registerUnavailabilityRule('test-client', (e) => e instanceof ClientTimeout);
    expect(isDependencyUnavailable(new ClientTimeout('timed out'))).toBe(true);
    expect(isDependencyUnavailable(new Error('other'))).toBe(false);
  });
});
