import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import {
  AdvanceProgramRequest,
  GetProgramCodeRequest,
  GetProgramRequest,
  ListProgramsRequest,
  RegisterProgramRequest,
  type AdvanceProgramResponse,
  type GetProgramCodeResponse,
  type GetProgramResponse,
  type ListProgramsResponse,
  type ListSlotsResponse,
  type RegisterProgramResponse,
} from '@gridstation/contracts';
import { notFound } from '@gridstation/errors';
import { SchedulerService } from '../scheduler.service';

@Controller()
export class ProgramController {
  constructor(@Inject(SchedulerService) private readonly svc: SchedulerService) {}

  @GrpcMethod('ProgramService', 'ListSlots')
  listSlots(): ListSlotsResponse {
    return { slots: [...this.svc.programs.slots()] };
  }

  @GrpcMethod('ProgramService', 'RegisterProgram')
  async registerProgram(req: RegisterProgramRequest): Promise<RegisterProgramResponse> {
    return { program: await this.svc.programs.register(RegisterProgramRequest.fromPartial(req)) };
  }

  @GrpcMethod('ProgramService', 'GetProgram')
  getProgram(req: GetProgramRequest): GetProgramResponse {
    const r = GetProgramRequest.fromPartial(req);
    const program = this.svc.programs.get(r.name, r.version);
    if (!program) throw notFound('PROGRAM_NOT_FOUND', `program ${r.name}@${r.version} is not registered`);
    return { program };
  }

  @GrpcMethod('ProgramService', 'ListPrograms')
  listPrograms(req: ListProgramsRequest): ListProgramsResponse {
    return { programs: this.svc.programs.list(ListProgramsRequest.fromPartial(req).slot) };
  }

  @GrpcMethod('ProgramService', 'AdvanceProgram')
  async advanceProgram(req: AdvanceProgramRequest): Promise<AdvanceProgramResponse> {
    const r = AdvanceProgramRequest.fromPartial(req);
    return { program: await this.svc.programs.advance(r.name, r.version, r.to, r.by) };
  }

  @GrpcMethod('ProgramService', 'GetProgramCode')
  getProgramCode(req: GetProgramCodeRequest): GetProgramCodeResponse {
    const r = GetProgramCodeRequest.fromPartial(req);
    const p = this.svc.programs.code(`${r.name}@${r.version}`);
    if (!p) throw notFound('PROGRAM_NOT_FOUND', `program ${r.name}@${r.version} is not registered`);
    return { program: p.program, code: p.code };
  }
}
