import { status, type ServerDuplexStream } from '@grpc/grpc-js';
import { WorkerServiceService, type WorkRequest, type WorkResponse } from '@gridstation/contracts';
import { LOGGER, type DirectGrpcService } from '@gridstation/service';
import type { Logger } from '@gridstation/telemetry';
import { Scheduler, type WorkerPeer } from '../scheduler';

// WorkerService.Work on the scheduler: one bidirectional stream per worker. The first message must be
// the hello; heartbeats and results follow; assignments, cancels and acknowledgements go back. A stream
// that ends or breaks detaches the worker (its running task is retried if it does not come back).

/** WorkerService served next to the Nest controllers (`direct` in the service kit's gRPC options). */
export const WORKER_GRPC_SERVICE: DirectGrpcService = {
  file: 'gridstation/v1/worker.proto',
  definition: WorkerServiceService,
  implementation: (app) => workerServiceImplementation(app.get(Scheduler), app.get<Logger>(LOGGER)),
};

export function workerServiceImplementation(s: Scheduler, logger: Logger) {
  const scheduler = () => s;
  const log = () => logger;
  return {
    work: (call: ServerDuplexStream<WorkRequest, WorkResponse>) => {
      let workerId = '';
      let ended = false;
      const peer: WorkerPeer = {
        send: (m) => {
          if (!ended) call.write(m);
        },
        close: (why) => {
          if (ended) return;
          ended = true;
          call.emit('error', { code: status.ABORTED, details: why });
          call.end();
        },
      };
      const end = () => {
        if (workerId) scheduler().detach(workerId, peer);
        ended = true;
      };
      call.on('data', (m: WorkRequest) => {
        const c = m.message;
        try {
          if (c?.$case === 'hello') {
            if (!c.hello.workerId) throw new Error('hello without worker_id');
            workerId = c.hello.workerId;
            scheduler().attach(c.hello, peer);
          } else if (!workerId) throw new Error('the first message of a Work stream must be a hello');
          else if (c?.$case === 'heartbeat') scheduler().heartbeat(workerId);
          else if (c?.$case === 'result') scheduler().result(workerId, c.result);
        } catch (e) {
          log().warn({ err: e, worker: workerId }, 'work stream refused');
          if (!ended) {
            ended = true;
            call.emit('error', { code: status.FAILED_PRECONDITION, details: (e as Error).message });
          }
        }
      });
      call.on('end', () => {
        end();
        call.end();
      });
      call.on('error', end);
      call.on('cancelled', end);
    },
  };
}
