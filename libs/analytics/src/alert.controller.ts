import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { filter, map, type Observable } from 'rxjs';
import type { QueryAlertsRequest, QueryAlertsResponse, SubscribeAlertsRequest, SubscribeAlertsResponse } from '@gridstation/contracts';
import { invalidArgument } from '@gridstation/errors';
import { AlertHub } from './alert-hub.consumer';
import { ALERT_STORE, matches, type AlertStore } from './ports';

@Controller()
export class AlertController {
  constructor(
    @Inject(ALERT_STORE) private readonly store: AlertStore,
    @Inject(AlertHub) private readonly hub: AlertHub,
  ) {}

  @GrpcMethod('AlertService', 'QueryAlerts')
  async queryAlerts(req: QueryAlertsRequest): Promise<QueryAlertsResponse> {
    if (req.toMs && req.fromMs > req.toMs) throw invalidArgument('BAD_TIME_RANGE', 'from_ms is after to_ms');
    return { alerts: await this.store.query({ fromMs: req.fromMs, toMs: req.toMs, filter: req.filter, limit: req.limit }) };
  }

  @GrpcMethod('AlertService', 'SubscribeAlerts')
  subscribeAlerts(req: SubscribeAlertsRequest): Observable<SubscribeAlertsResponse> {
    return this.hub.alerts$.pipe(
      filter((a) => matches(a, req.filter)),
      map((alert) => ({ alert })),
    );
  }
}
