import { loadConfig, stationConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('station', stationConfigSchema),
  () => import('./bootstrap'),
);
