import { credentials, Metadata } from '@grpc/grpc-js';
import { ProgramServiceClient, WorkerServiceClient, type Program } from '@gridstation/contracts';
import type { SchedulerLink, StreamHandlers, WorkStream } from './worker-runtime';

// A worker's link to the scheduler over gRPC (apps/worker): the Work stream and GetProgramCode.

export class GrpcSchedulerLink implements SchedulerLink {
  private readonly work: WorkerServiceClient;
  private readonly programs: ProgramServiceClient;

  constructor(address: string) {
    const options = { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000, 'grpc.max_receive_message_length': 16 << 20 };
    this.work = new WorkerServiceClient(address, credentials.createInsecure(), options);
    this.programs = new ProgramServiceClient(address, credentials.createInsecure(), options);
  }

  open(h: StreamHandlers): WorkStream {
    const call = this.work.work(new Metadata());
    let closed = false;
    const close = (why: string) => {
      if (closed) return;
      closed = true;
      h.closed(why);
    };
    call.on('data', (m) => h.message(m));
    call.on('error', (e: Error) => close(e.message));
    call.on('end', () => close('the scheduler ended the stream'));
    return {
      send: (m) => {
        if (!closed) call.write(m);
      },
      close: () => {
        call.cancel();
        close('closed by the worker');
      },
    };
  }

  fetchProgram(ref: string): Promise<{ program: Program; code: Buffer }> {
    const at = ref.lastIndexOf('@');
    return new Promise((resolve, reject) => {
      this.programs.getProgramCode({ name: ref.slice(0, at), version: ref.slice(at + 1) }, new Metadata(), { deadline: Date.now() + 30_000 }, (e, r) => {
        if (e) reject(e);
        else resolve({ program: r.program!, code: Buffer.from(r.code) });
      });
    });
  }

  close(): void {
    this.work.close();
    this.programs.close();
  }
}
