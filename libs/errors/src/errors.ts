// The station's error model. An error raised on purpose is a GsError: a stable code (for logs, dead
// letters and clients) and a kind that says what the caller can do about it. Only the edges translate a
// kind: gRPC controllers map it to a status (libs/service), consumers to retry or dead letter (libs/bus).

export type ErrorKind =
  /** The request or record itself is wrong: repeating it cannot help. */
  | 'invalid-argument'
  | 'not-found'
  | 'already-exists'
  /** The system is not in a state where this can be done (an illegal state transition, say). */
  | 'failed-precondition'
  | 'permission-denied'
  | 'unauthenticated'
  /** A limit was reached (size, rate, quota). */
  | 'resource-exhausted'
  | 'deadline-exceeded'
  /** A dependency is down or overloaded: the same request may succeed later. The only retried kind. */
  | 'unavailable'
  | 'cancelled'
  | 'internal';

export class GsError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'GsError';
  }

  get retriable(): boolean {
    return this.kind === 'unavailable';
  }
}

/** A store, broker or service the work needs is not answering. */
export class DependencyUnavailableError extends GsError {
  constructor(
    readonly dependency: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('unavailable', `${dependency.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_UNAVAILABLE`, message, options);
    this.name = 'DependencyUnavailableError';
  }
}

export const invalidArgument = (code: string, message: string): GsError => new GsError('invalid-argument', code, message);
export const notFound = (code: string, message: string): GsError => new GsError('not-found', code, message);
export const failedPrecondition = (code: string, message: string): GsError => new GsError('failed-precondition', code, message);
export const permissionDenied = (code: string, message: string): GsError => new GsError('permission-denied', code, message);

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A local store (a data directory, a database file) that cannot be opened, named with its path, the
 * cause, and what to do about the two usual reasons: another process holds its lock, or it is not
 * writable.
 */
export function storeOpenError(what: string, path: string, cause: unknown): GsError {
  const text = [cause instanceof Error ? cause.message : String(cause), (cause as { cause?: { message?: string } })?.cause?.message ?? ''].join(' ');
  const hint = /lock|already held|Resource temporarily unavailable/i.test(text)
    ? 'another station (or another process) is using this data directory: stop it, or point GS_DATA_DIR elsewhere'
    : /EACCES|EPERM|EROFS|read-only|Permission denied|Operation not permitted/i.test(text)
      ? 'the directory is not writable by this process: fix its permissions, or point GS_DATA_DIR elsewhere'
      : 'see the cause';
  return new GsError('failed-precondition', 'STORE_OPEN_FAILED', `cannot open ${what} at ${path}: ${text.trim()} (${hint})`, { cause });
}
