import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { GetCurveRequest, GetCurveResponse, GetLatestReadingsRequest, GetLatestReadingsResponse } from '@gridstation/contracts';
import { QueryError, ReadingQueries } from './query-service';

/** Longest a query may run when the client set no deadline. */
const SERVER_MAX_MS = 30_000;

function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Math.min(Number.isFinite(ms) ? ms : Number.POSITIVE_INFINITY, Date.now() + SERVER_MAX_MS);
}

function toRpc(e: unknown): never {
  if (e instanceof QueryError) throw new RpcException({ code: e.code === 'INVALID_ARGUMENT' ? status.INVALID_ARGUMENT : status.DEADLINE_EXCEEDED, message: e.message });
  throw new RpcException({ code: status.UNAVAILABLE, message: `store unavailable: ${e instanceof Error ? e.message : String(e)}` });
}

@Controller()
export class ReadingQueryController {
  constructor(@Inject(ReadingQueries) private readonly queries: ReadingQueries) {}

  @GrpcMethod('ReadingQueryService', 'GetLatestReadings')
  getLatestReadings(req: GetLatestReadingsRequest, _m: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<GetLatestReadingsResponse> {
    return this.queries.latest(req, deadlineOf(call)).catch(toRpc);
  }

  @GrpcMethod('ReadingQueryService', 'GetCurve')
  getCurve(req: GetCurveRequest, _m: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<GetCurveResponse> {
    return this.queries.curve(req, deadlineOf(call)).catch(toRpc);
  }
}
