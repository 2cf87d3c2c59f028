import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Metadata } from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { extractGrpcContext, extractTraceContext } from '@gridstation/telemetry';
import type { Request } from 'express';
import { Observable } from 'rxjs';

const tracer = trace.getTracer('gridstation.service');
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Continues the caller's W3C trace for every incoming gRPC call (metadata) and HTTP request (headers):
 * the handler runs inside a server span whose parent is the caller's span.
 */
@Injectable()
export class TraceInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const type = ctx.getType<'http' | 'rpc'>();
    let parent;
    let name: string;
    const attributes: Record<string, string> = {};
    if (type === 'rpc') {
      parent = extractGrpcContext(ctx.switchToRpc().getContext<Metadata>());
      name = `${ctx.getClass().name}/${ctx.getHandler().name}`;
      attributes['rpc.system'] = 'grpc';
    } else if (type === 'http') {
      const req = ctx.switchToHttp().getRequest<Request>();
      if (UNTRACED_PATHS.has(req.path)) return next.handle();
      parent = extractTraceContext(req.headers as Record<string, string | string[] | undefined>);
      name = `${req.method} ${req.route ? String((req.route as { path: string }).path) : req.path}`;
      attributes['http.request.method'] = req.method;
    } else {
      return next.handle();
    }
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
    const spanCtx = trace.setSpan(parent, span);
    // Nest binds the deferred handler to the async context current when handle() is called.
    const inner = context.with(spanCtx, () => next.handle());
    return new Observable((subscriber) => {
      const sub = context.with(spanCtx, () =>
        inner.subscribe({
          next: (v) => subscriber.next(v),
          error: (e: unknown) => {
            span.recordException(e instanceof Error ? e : String(e));
            span.setStatus({ code: SpanStatusCode.ERROR });
            span.end();
            subscriber.error(e);
          },
          complete: () => {
            span.end();
            subscriber.complete();
          },
        }),
      );
      return () => sub.unsubscribe();
    });
  }
}
