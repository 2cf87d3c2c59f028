import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { GetCurveRequest, GetCurveResponse, GetLatestReadingsRequest, GetLatestReadingsResponse } from '@gridstation/contracts';
import { deadlineOf } from '@gridstation/service';
import { ReadingQueries } from './query-service';

/** Longest a query may run when the client set no deadline. */
const SERVER_MAX_MS = 30_000;

@Controller()
export class ReadingQueryController {
  constructor(@Inject(ReadingQueries) private readonly queries: ReadingQueries) {}

  @GrpcMethod('ReadingQueryService', 'GetLatestReadings')
  getLatestReadings(req: GetLatestReadingsRequest, _m: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<GetLatestReadingsResponse> {
    return this.queries.latest(req, deadlineOf(call, SERVER_MAX_MS));
  }

  @GrpcMethod('ReadingQueryService', 'GetCurve')
  getCurve(req: GetCurveRequest, _m: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<GetCurveResponse> {
    return this.queries.curve(req, deadlineOf(call, SERVER_MAX_MS));
  }
}
