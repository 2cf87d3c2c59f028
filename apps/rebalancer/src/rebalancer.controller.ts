import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import type { ListDecisionsRequest, ListDecisionsResponse, WatchDecisionsResponse } from '@gridstation/contracts';
import { RebalancerLoop } from './rebalancer.loop';

/** RebalancerService: the periods' decisions, kept and live. */
@Controller()
export class RebalancerController {
  constructor(@Inject(RebalancerLoop) private readonly loop: RebalancerLoop) {}

  @GrpcMethod('RebalancerService', 'ListDecisions')
  listDecisions(req: ListDecisionsRequest): ListDecisionsResponse {
    const limit = Math.min(req.limit || 20, 100);
    const all = [...this.loop.decisions].reverse().filter((d) => !req.hotspotsOnly || d.hotspots.length > 0);
    return { decisions: all.slice(0, limit), periodMs: this.loop.periodMs };
  }

  @GrpcMethod('RebalancerService', 'WatchDecisions')
  watchDecisions(): Observable<WatchDecisionsResponse> {
    return new Observable<WatchDecisionsResponse>((sub) => this.loop.watch((decision) => sub.next({ decision })));
  }
}
