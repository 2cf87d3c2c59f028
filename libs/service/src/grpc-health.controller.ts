import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { invalidArgument, notFound } from '@gridstation/errors';
import { Observable } from 'rxjs';
import { health } from '@gridstation/contracts';
import type { CommonConfig } from '@gridstation/config';
import { HealthRegistry } from './health-registry';
import { GRPC_SERVICES, HEALTH, SERVICE_CONFIG } from './tokens';

const { HealthCheckResponse_ServingStatus: Serving } = health;
type HealthCheckRequest = health.HealthCheckRequest;
type HealthCheckResponse = health.HealthCheckResponse;

/** Longer than any service name; a longer one is refused without being echoed. */
const MAX_SERVICE_NAME = 200;

/**
 * grpc.health.v1 as specified by gRPC: "" is the whole server, `gridstation.<service>` this service, and
 * each gRPC service it serves by its full name (gridstation.v1.ReadingQueryService, ...).
 */
@Controller()
export class GrpcHealthController {
  private readonly known: Set<string>;

  constructor(
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(SERVICE_CONFIG) config: CommonConfig,
    @Inject(GRPC_SERVICES) services: readonly string[],
  ) {
    this.known = new Set(['', `gridstation.${config.service}`, ...services]);
  }

  private async current(): Promise<HealthCheckResponse> {
    const r = await this.health.readiness();
    return { status: r.ready ? Serving.SERVING : Serving.NOT_SERVING };
  }

  @GrpcMethod('Health', 'Check')
  async check(req: HealthCheckRequest): Promise<HealthCheckResponse> {
    if (req.service.length > MAX_SERVICE_NAME) throw invalidArgument('SERVICE_NAME_TOO_LONG', `a service name of ${req.service.length} characters is longer than any service (${MAX_SERVICE_NAME} at most)`);
    if (!this.known.has(req.service)) {
      throw notFound('UNKNOWN_SERVICE', `unknown service "${req.service}"`);
    }
    return this.current();
  }

  /** Sends the status now and again on every change, until the client cancels. */
  @GrpcMethod('Health', 'Watch')
  watch(req: HealthCheckRequest): Observable<HealthCheckResponse> {
    return new Observable<HealthCheckResponse>((sub) => {
      if (req.service.length > MAX_SERVICE_NAME || !this.known.has(req.service)) {
        sub.next({ status: Serving.SERVICE_UNKNOWN });
        return () => undefined;
      }
      let last: number | undefined;
      let stopped = false;
      const tick = async () => {
        if (stopped) return;
        const s = (await this.current()).status;
        if (s !== last) {
          last = s;
          sub.next({ status: s });
        }
      };
      void tick();
      const timer = setInterval(() => void tick(), 1000);
      return () => {
        stopped = true;
        clearInterval(timer);
      };
    });
  }
}
