import { loadConfig, workerConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('worker', workerConfigSchema),
  () => import('./bootstrap'),
);
