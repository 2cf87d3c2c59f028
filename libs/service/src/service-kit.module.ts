import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import type { CommonConfig } from '@gridstation/config';
import type { Logger, Telemetry } from '@gridstation/telemetry';
import { GrpcHealthController } from './grpc-health.controller';
import { HealthController } from './health.controller';
import type { HealthRegistry } from './health-registry';
import { GRPC_SERVICES, HEALTH, LOGGER, SERVICE_CONFIG, SHUTDOWN_SEQUENCE, TELEMETRY } from './tokens';
import { ShutdownSequence } from './resources';
import { GrpcErrorFilter } from './grpc-errors';
import { TraceInterceptor } from './trace.interceptor';

export interface ServiceKitOptions {
  config: CommonConfig;
  telemetry: Telemetry;
  logger: Logger;
  health: HealthRegistry;
  /** Full names of the gRPC services served (grpc.health.v1 answers for each). */
  grpcServices: readonly string[];
}

@Module({})
export class ServiceKitModule {
  static forRoot(o: ServiceKitOptions): DynamicModule {
    const providers = [
      { provide: SERVICE_CONFIG, useValue: o.config },
      { provide: TELEMETRY, useValue: o.telemetry },
      { provide: LOGGER, useValue: o.logger },
      { provide: HEALTH, useValue: o.health },
      { provide: GRPC_SERVICES, useValue: o.grpcServices },
      { provide: SHUTDOWN_SEQUENCE, useValue: new ShutdownSequence() },
    ];
    return {
      module: ServiceKitModule,
      global: true,
      controllers: [HealthController, GrpcHealthController],
      providers: [...providers, { provide: APP_INTERCEPTOR, useClass: TraceInterceptor }, { provide: APP_FILTER, useClass: GrpcErrorFilter }],
      exports: providers.map((p) => p.provide),
    };
  }
}
