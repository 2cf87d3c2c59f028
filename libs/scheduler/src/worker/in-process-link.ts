import type { WorkRequest, WorkResponse } from '@gridstation/contracts';
import { notFound } from '@gridstation/errors';
import type { ProgramRegistry } from '../programs/registry';
import type { Scheduler, WorkerPeer } from '../scheduler';
import type { SchedulerLink, StreamHandlers, WorkStream } from './worker-runtime';

// The embedded mode's link: a worker in the scheduler's process talks to it through the same messages
// as over gRPC, delivered on the next turn of the event loop (never re-entrantly), so the scheduler and
// the workers run the same code in both modes.

export class InProcessLink implements SchedulerLink {
  constructor(
    private readonly scheduler: Scheduler,
    private readonly programs: ProgramRegistry,
  ) {}

  open(h: StreamHandlers): WorkStream {
    let workerId = '';
    let closed = false;
    const end = (why: string) => {
      if (closed) return;
      closed = true;
      if (workerId) this.scheduler.detach(workerId, peer);
      setImmediate(() => h.closed(why));
    };
    const peer: WorkerPeer = {
      send: (m: WorkResponse) => {
        if (!closed) setImmediate(() => !closed && h.message(m));
      },
      close: (why) => end(why),
    };
    return {
      send: (m: WorkRequest) => {
        if (closed) return;
        setImmediate(() => {
          if (closed) return;
          const c = m.message;
          if (c?.$case === 'hello') {
            workerId = c.hello.workerId;
            this.scheduler.attach(c.hello, peer);
          } else if (c?.$case === 'heartbeat') this.scheduler.heartbeat(workerId);
          else if (c?.$case === 'result') this.scheduler.result(workerId, c.result);
        });
      },
      close: () => end('closed by the worker'),
    };
  }

  async fetchProgram(ref: string) {
    const p = this.programs.code(ref);
    if (!p) throw notFound('PROGRAM_NOT_FOUND', `program ${ref} is not registered`);
    return p;
  }
}
