import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status, type Metadata, type ServerUnaryCall } from '@grpc/grpc-js';
import type { ReadCurrentDataRequest, ReadCurrentDataResponse } from '@gridstation/contracts';
import { Downlink, DownlinkError, FORWARDED_HEADER } from './downlink';

const CODES = { NOT_FOUND: status.NOT_FOUND, DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED, UNAVAILABLE: status.UNAVAILABLE, INVALID_ARGUMENT: status.INVALID_ARGUMENT };

@Controller()
export class DownlinkController {
  constructor(@Inject(Downlink) private readonly downlink: Downlink) {}

  @GrpcMethod('DownlinkService', 'ReadCurrentData')
  async readCurrentData(req: ReadCurrentDataRequest, metadata: Metadata, call: ServerUnaryCall<unknown, unknown>): Promise<ReadCurrentDataResponse> {
    const d = call.getDeadline();
    const deadline = Math.min(d instanceof Date ? d.getTime() : Number.isFinite(Number(d)) ? Number(d) : Number.POSITIVE_INFINITY, Date.now() + 60_000);
    const forwardedBy = metadata.get(FORWARDED_HEADER)[0]?.toString();
    try {
      return await this.downlink.readCurrentData(req, deadline, forwardedBy);
    } catch (e) {
      if (e instanceof DownlinkError) throw new RpcException({ code: CODES[e.code], message: e.message });
      throw new RpcException({ code: status.INTERNAL, message: e instanceof Error ? e.message : String(e) });
    }
  }
}
