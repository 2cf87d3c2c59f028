import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { ReadClockRequest, ReadClockResponse, SetClockRequest, SetClockResponse, ReadCurrentDataRequest, ReadCurrentDataResponse, ReadFrozenDataRequest, ReadFrozenDataResponse, ReadMeterConfigRequest, ReadMeterConfigResponse, ReadObjectsRequest, ReadObjectsResponse, WriteMeterConfigRequest, WriteMeterConfigResponse } from '@gridstation/contracts';
import { deadlineOf } from '@gridstation/service';
import { Downlink, FORWARDED_HEADER } from './downlink';

/** Longest a downlink read may take when the client set no deadline. */
const SERVER_MAX_MS = 60_000;

@Controller()
export class DownlinkController {
  constructor(@Inject(Downlink) private readonly downlink: Downlink) {}

  @GrpcMethod('DownlinkService', 'ReadCurrentData')
  readCurrentData(req: ReadCurrentDataRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<ReadCurrentDataResponse> {
    return this.downlink.readCurrentData(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }

  @GrpcMethod('DownlinkService', 'ReadFrozenData')
  readFrozenData(req: ReadFrozenDataRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<ReadFrozenDataResponse> {
    return this.downlink.readFrozenData(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }

  @GrpcMethod('DownlinkService', 'ReadMeterConfig')
  readMeterConfig(req: ReadMeterConfigRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<ReadMeterConfigResponse> {
    return this.downlink.readMeterConfig(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }

  @GrpcMethod('DownlinkService', 'WriteMeterConfig')
  writeMeterConfig(req: WriteMeterConfigRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<WriteMeterConfigResponse> {
    return this.downlink.writeMeterConfig(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }

  @GrpcMethod('DownlinkService', 'ReadClock')
  readClock(req: ReadClockRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<ReadClockResponse> {
    return this.downlink.readClock(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }

  @GrpcMethod('DownlinkService', 'SetClock')
  setClock(req: SetClockRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<SetClockResponse> {
    return this.downlink.setClock(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }

  @GrpcMethod('DownlinkService', 'ReadObjects')
  readObjects(req: ReadObjectsRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<ReadObjectsResponse> {
    return this.downlink.readObjects(req, deadlineOf(call, SERVER_MAX_MS), metadata.get(FORWARDED_HEADER)[0]?.toString());
  }
}
