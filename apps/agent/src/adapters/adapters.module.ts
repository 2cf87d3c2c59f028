import { Module, type DynamicModule } from '@nestjs/common';
import type { AgentConfig } from '@gridstation/config';
import { adaptersModule, provideResource } from '@gridstation/service';
import { StationLink } from './station-link';

export const STATION_LINK = Symbol('STATION_LINK');

/** Every client of the outside world the edge agent uses. */
@Module({})
export class AgentAdaptersModule {
  static register(config: AgentConfig): DynamicModule {
    const providers = [...provideResource(STATION_LINK, 'station', () => new StationLink(config.station))];
    return adaptersModule(AgentAdaptersModule, providers);
  }
}
