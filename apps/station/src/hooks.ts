import { Module, type BeforeApplicationShutdown, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';

/** Shutdown steps of the station's own extras (simulator, summary), run inside Nest's shutdown sequence. */
export class StationHooks implements BeforeApplicationShutdown, OnApplicationShutdown {
  readonly beforeShutdown: Array<() => Promise<void>> = [];
  readonly afterShutdown: Array<() => Promise<void>> = [];

  async beforeApplicationShutdown(): Promise<void> {
    for (const f of this.beforeShutdown) await f();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const f of this.afterShutdown) await f();
  }
}

export const STATION_HOOKS = Symbol('gridstation.stationHooks');

@Module({})
export class StationHooksModule {
  static register(): DynamicModule {
    return { module: StationHooksModule, providers: [{ provide: STATION_HOOKS, useFactory: () => new StationHooks() }], exports: [STATION_HOOKS] };
  }
}
