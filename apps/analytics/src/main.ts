import { loadConfig, analyticsConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('analytics', analyticsConfigSchema),
  () => import('./bootstrap'),
);
