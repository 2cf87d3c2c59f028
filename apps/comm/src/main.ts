import { loadConfig, commConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('comm', commConfigSchema),
  () => import('./bootstrap'),
);
