import { consoleConfigSchema, loadConfig } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('console', consoleConfigSchema),
  () => import('./bootstrap'),
);
