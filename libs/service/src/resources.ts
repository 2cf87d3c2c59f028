import type { BeforeApplicationShutdown, DynamicModule, FactoryProvider, InjectionToken, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Type, ValueProvider } from '@nestjs/common';
import type { Logger } from '@gridstation/telemetry';
import { HealthRegistry } from './health-registry';
import { HEALTH, LOGGER } from './tokens';

/** A client of something outside the process (Kafka, a store, Redis) with a lifecycle Nest manages. */
export interface ManagedResource {
  /** Connects or prepares; a failure here stops start-up with the reason. */
  start?(): Promise<void>;
  healthCheck(): Promise<void>;
  /** Drains and disconnects; called once on shutdown, after the servers stopped taking requests. */
  close(): Promise<void>;
}

class ResourceLifecycle<T extends ManagedResource> implements OnModuleInit, OnApplicationShutdown {
  constructor(
    readonly name: string,
    readonly resource: T,
    private readonly log: Logger,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.resource.start?.();
    this.log.info({ resource: this.name }, 'resource started');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.resource.close();
    this.log.info({ resource: this.name }, 'resource closed');
  }
}

/**
 * Provides `token` as the resource made by `create`, registers its health check under `name`, starts it
 * during module init and closes it on shutdown.
 */
export function provideResource<T extends ManagedResource>(
  token: symbol,
  name: string,
  create: (log: Logger) => T,
): FactoryProvider<T>[] {
  const lifecycleToken = Symbol(`${name}-lifecycle`);
  return [
    {
      provide: lifecycleToken,
      inject: [HEALTH, LOGGER],
      useFactory: (health: HealthRegistry, log: Logger) => {
        const resource = create(log.child({ resource: name }));
        health.register(name, () => resource.healthCheck());
        return new ResourceLifecycle(name, resource, log) as unknown as T;
      },
    },
    {
      provide: token,
      inject: [lifecycleToken],
      useFactory: (lifecycle: ResourceLifecycle<T>) => lifecycle.resource,
    },
  ];
}

class WorkerLifecycle<T> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly worker: T,
    private readonly begin: (w: T) => Promise<unknown>,
    private readonly end: (w: T) => Promise<unknown>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.begin(this.worker);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.end(this.worker);
  }
}

/**
 * Starts the provider behind `token` once every resource is up (application bootstrap) and stops it
 * before any resource closes (before application shutdown): the place for consumers and servers.
 */
export function provideWorkerLifecycle<T>(token: InjectionToken, start: (w: T) => Promise<unknown>, stop: (w: T) => Promise<unknown>): FactoryProvider {
  return { provide: Symbol('worker-lifecycle'), inject: [token], useFactory: (w: T) => new WorkerLifecycle(w, start, stop) };
}

/**
 * A service's adapters module: every client of the outside world the service uses (and nothing else in
 * the service opens connections), provided to all of its feature modules.
 */
export function adaptersModule(module: Type, providers: ReadonlyArray<FactoryProvider | ValueProvider>): DynamicModule {
  return { module, global: true, providers: [...providers], exports: providers.map((p) => p.provide) };
}
