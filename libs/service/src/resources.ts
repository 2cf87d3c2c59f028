import type { BeforeApplicationShutdown, DynamicModule, FactoryProvider, InjectionToken, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit, Type, ValueProvider } from '@nestjs/common';
import type { Logger } from '@gridstation/telemetry';
import { HealthRegistry } from './health-registry';
import { HEALTH, LOGGER, SHUTDOWN_SEQUENCE } from './tokens';

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

/**
 * Where a worker stands in the flow of data. When several run in one process (the embedded station),
 * upstream stops first and what it hands on is still taken downstream: a parser stopping after storage
 * would wait forever to publish into a topic nobody drains any more.
 */
export const STOP_ORDER = { intake: 10, processing: 20, storage: 30, derived: 40, control: 50 } as const;

/** The workers of one application, stopped stage by stage in STOP_ORDER (those of one stage together). */
export class ShutdownSequence {
  private readonly stages = new Map<number, Array<() => Promise<unknown>>>();
  private running: Promise<void> | undefined;

  add(order: number, stop: () => Promise<unknown>): void {
    const list = this.stages.get(order) ?? [];
    list.push(stop);
    this.stages.set(order, list);
  }

  /** Runs once, whichever worker's shutdown hook Nest calls first; every later call waits for the same run. */
  run(): Promise<void> {
    this.running ??= (async () => {
      for (const order of [...this.stages.keys()].sort((a, b) => a - b)) await Promise.all(this.stages.get(order)!.map((stop) => stop()));
    })();
    return this.running;
  }
}

class WorkerLifecycle<T> implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly worker: T,
    private readonly begin: (w: T) => Promise<unknown>,
    private readonly sequence: ShutdownSequence,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.begin(this.worker);
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sequence.run();
  }
}

/**
 * Starts the provider behind `token` once every resource is up (application bootstrap) and stops it
 * before any resource closes (before application shutdown): the place for consumers and servers.
 * `order` (STOP_ORDER) says where it stands in the flow of data; upstream workers stop first.
 */
export function provideWorkerLifecycle<T>(token: InjectionToken, start: (w: T) => Promise<unknown>, stop: (w: T) => Promise<unknown>, order: number = STOP_ORDER.control): FactoryProvider {
  return {
    provide: Symbol('worker-lifecycle'),
    inject: [token, SHUTDOWN_SEQUENCE],
    useFactory: (w: T, sequence: ShutdownSequence) => {
      sequence.add(order, () => stop(w));
      return new WorkerLifecycle(w, start, sequence);
    },
  };
}

/**
 * A service's adapters module: every client of the outside world the service uses (and nothing else in
 * the service opens connections), provided to all of its feature modules.
 */
export function adaptersModule(module: Type, providers: ReadonlyArray<FactoryProvider | ValueProvider>): DynamicModule {
  return { module, global: true, providers: [...providers], exports: providers.map((p) => p.provide) };
}
