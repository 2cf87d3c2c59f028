import { loadConfig, schedulerConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('scheduler', schedulerConfigSchema),
  () => import('./bootstrap'),
);
