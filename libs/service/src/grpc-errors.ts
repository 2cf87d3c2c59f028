import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import { RpcException } from '@nestjs/microservices';
import { status, type ServerUnaryCall } from '@grpc/grpc-js';
import { throwError, type Observable } from 'rxjs';
import { GsError, isDependencyUnavailable, type ErrorKind } from '@gridstation/errors';

// The one place where the station's errors become gRPC statuses: features throw GsErrors with a kind
// (or let a dependency's error through), controllers stay one line per method, and this filter maps
// every error of every controller the same way. Messages are bounded: whatever a client sent is never
// echoed back at length.

const STATUS: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  'already-exists': status.ALREADY_EXISTS,
  'failed-precondition': status.FAILED_PRECONDITION,
  'permission-denied': status.PERMISSION_DENIED,
  unauthenticated: status.UNAUTHENTICATED,
  'resource-exhausted': status.RESOURCE_EXHAUSTED,
  'deadline-exceeded': status.DEADLINE_EXCEEDED,
  unavailable: status.UNAVAILABLE,
  cancelled: status.CANCELLED,
  internal: status.INTERNAL,
};

const MAX_MESSAGE = 512;
const bounded = (m: string) => (m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE)}… (${m.length} characters)` : m);

export function grpcStatusOf(e: unknown): { code: status; message: string } {
  if (e instanceof GsError) return { code: STATUS[e.kind], message: bounded(e.message) };
  if (e instanceof RpcException) {
    const err = e.getError() as { code?: unknown; message?: unknown } | string;
    if (typeof err === 'object' && typeof err.code === 'number') return { code: err.code, message: bounded(String(err.message ?? '')) };
    return { code: status.UNKNOWN, message: bounded(String(typeof err === 'string' ? err : e.message)) };
  }
  const message = e instanceof Error ? e.message : String(e);
  return isDependencyUnavailable(e) ? { code: status.UNAVAILABLE, message: bounded(`dependency unavailable: ${message}`) } : { code: status.INTERNAL, message: bounded(message) };
}

/** Maps errors of gRPC handlers to statuses; HTTP errors keep Nest's default handling. */
@Catch()
export class GrpcErrorFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() !== 'rpc') return super.catch(exception, host);
    return throwError(() => grpcStatusOf(exception));
  }
}

type Deadline = ReturnType<ServerUnaryCall<unknown, unknown>['getDeadline']>;

/** The call's deadline as epoch ms, at most `maxMs` from now (the server's own bound when the client set none). */
export function deadlineOf(call: { getDeadline(): Deadline }, maxMs: number, now = Date.now()): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Math.min(Number.isFinite(ms) && ms > 0 ? ms : Number.POSITIVE_INFINITY, now + maxMs);
}
