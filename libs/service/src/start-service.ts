import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ReflectionService } from '@grpc/reflection';
import type { Server, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { withMapEntryNames } from './map-entries';
import type { CommonConfig } from '@gridstation/config';
import { PROTO_ROOT, protoPath } from '@gridstation/contracts';
import { createLogger, type Logger, type Telemetry } from '@gridstation/telemetry';
import type { AddressInfo } from 'node:net';
import { HealthRegistry } from './health-registry';
import { NestPinoLogger } from './nest-logger';
import { registerProcessMetrics } from './process-metrics';
import { ServiceKitModule } from './service-kit.module';

export interface GrpcApi {
  /** Proto packages served, e.g. 'gridstation.v1'. */
  packages: string[];
  /** Proto files relative to proto/, e.g. 'gridstation/v1/query.proto'. */
  files: string[];
  /**
   * Services implemented on @grpc/grpc-js directly, with their ts-proto definitions (bidirectional
   * streams whose messages have oneofs, which Nest's loader would hand over in another shape). Served on
   * the same port, listed by reflection and health like the others.
   */
  direct?: DirectGrpcService[];
}

export interface DirectGrpcService {
  /** Proto file relative to proto/ that declares the service. */
  file: string;
  definition: ServiceDefinition;
  implementation: (app: INestApplication) => UntypedServiceImplementation;
}

export interface StartServiceOptions {
  config: CommonConfig;
  telemetry: Telemetry;
  /** The service's own modules. */
  imports: Array<DynamicModule | Type>;
  /** gRPC services beyond grpc.health.v1 (which every service serves). */
  grpc?: GrpcApi;
  logger?: Logger;
  /** Exit the process on SIGTERM/SIGINT after a graceful shutdown (true for real processes, false in tests). */
  handleSignals?: boolean;
}

export interface RunningService {
  app: INestApplication;
  health: HealthRegistry;
  logger: Logger;
  httpPort: number;
  grpcAddress: string;
  /** Stops taking work (readiness off), drains, closes resources, bounded by the configured timeout. */
  shutdown(reason: string): Promise<void>;
}

/**
 * Starts a Gridstation service: HTTP (/healthz, /readyz, /metrics), gRPC (grpc.health.v1, server
 * reflection, and the service's own APIs), and graceful shutdown. Telemetry must already be running.
 */
export async function startService(o: StartServiceOptions): Promise<RunningService> {
  const { config } = o;
  const logger = o.logger ?? createLogger({ service: config.service, instanceId: config.instanceId, level: config.logLevel });
  const health = new HealthRegistry();
  const stopProcessMetrics = registerProcessMetrics(config.service, config.instanceId);
  const protoFiles = [protoPath('grpc/health/v1/health.proto'), ...(o.grpc?.files ?? []).map(protoPath)];
  // Reflection serves the descriptors as written in proto/ (snake_case field names), the contract that
  // grpcurl, grpcui and Postman users read. The serving definition below camelCases them for the
  // handlers' ts-proto types; the wire format is the same either way (fields go by number).
  const directFiles = (o.grpc?.direct ?? []).map((d) => protoPath(d.file)).filter((f) => !protoFiles.includes(f));
  const asWritten = withMapEntryNames(loadSync([...protoFiles, ...directFiles], { includeDirs: [PROTO_ROOT], keepCase: true }));
  // grpc.health.v1 answers for each service this server serves, by its full name.
  const services = Object.entries(asWritten)
    .filter(([, d]) => Object.values(d as object).some((m) => typeof m === 'object' && m !== null && 'path' in m))
    .map(([name]) => name);
  const app = await NestFactory.create(
    { module: class GridstationService {}, imports: [ServiceKitModule.forRoot({ config, telemetry: o.telemetry, logger, health, grpcServices: services }), ...o.imports] },
    { logger: new NestPinoLogger(logger), abortOnError: false },
  );
  const grpcAddress = `${config.grpc.host}:${config.grpc.port}`;
  app.connectMicroservice<MicroserviceOptions>(
    {
      transport: Transport.GRPC,
      options: {
        url: grpcAddress,
        package: ['grpc.health.v1', ...(o.grpc?.packages ?? [])],
        protoPath: protoFiles,
        loader: { includeDirs: [PROTO_ROOT], longs: Number, enums: Number, defaults: true, oneofs: true },
        onLoadPackageDefinition: (_pkg: unknown, server: Parameters<ReflectionService['addToServer']>[0]) => {
          new ReflectionService(asWritten).addToServer(server);
          for (const d of o.grpc?.direct ?? []) (server as unknown as Server).addService(d.definition, d.implementation(app));
        },
        gracefulShutdown: true,
        // Long-lived streams (edge agents, workers) from peers that vanish without closing their
        // connection (power loss, a cut link) are found by pings: every 15 s, gone after 5 s without
        // an answer. Clients may ping as often as every 5 s.
        keepalive: { keepaliveTimeMs: 15_000, keepaliveTimeoutMs: 5_000, keepalivePermitWithoutCalls: 1, http2MinPingIntervalWithoutDataMs: 5_000 },
      },
    },
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.listen(config.http.port, config.http.host);
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  logger.info({ http: httpPort, grpc: grpcAddress, checks: health.names() }, 'service started');

  let shuttingDown: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      logger.info({ reason }, 'shutting down');
      health.startDraining();
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          app.close(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`shutdown took longer than ${config.shutdownTimeoutMs} ms`)), config.shutdownTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        stopProcessMetrics();
      }
      logger.info('shutdown complete');
    })();
    return shuttingDown;
  };

  if (o.handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        shutdown(signal)
          .then(() => o.telemetry.shutdown())
          .then(
            () => process.exit(0),
            (e: unknown) => {
              logger.error({ err: e }, 'unclean shutdown');
              process.exit(1);
            },
          );
      });
    }
  }
  return { app, health, logger, httpPort, grpcAddress, shutdown };
}
