import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';
import { status } from '@grpc/grpc-js';
import { filter, map, type Observable } from 'rxjs';
import type { QueryAlertsRequest, QueryAlertsResponse, SubscribeAlertsRequest, SubscribeAlertsResponse } from '@gridstation/contracts';
import { ALERT_STORE, matches, type AlertStore } from './ports';
import { AlertHub } from './workers';

@Controller()
export class AlertController {
  constructor(
    @Inject(ALERT_STORE) private readonly store: AlertStore,
    @Inject(AlertHub) private readonly hub: AlertHub,
  ) {}

  @GrpcMethod('AlertService', 'QueryAlerts')
  async queryAlerts(req: QueryAlertsRequest): Promise<QueryAlertsResponse> {
    if (req.toMs && req.fromMs > req.toMs) throw new RpcException({ code: status.INVALID_ARGUMENT, message: 'from_ms is after to_ms' });
    try {
      return { alerts: await this.store.query({ fromMs: req.fromMs, toMs: req.toMs, filter: req.filter, limit: req.limit }) };
    } catch (e) {
      throw new RpcException({ code: status.UNAVAILABLE, message: `alert store unavailable: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  @GrpcMethod('AlertService', 'SubscribeAlerts')
  subscribeAlerts(req: SubscribeAlertsRequest): Observable<SubscribeAlertsResponse> {
    return this.hub.alerts$.pipe(
      filter((a) => matches(a, req.filter)),
      map((alert) => ({ alert })),
    );
  }
}
