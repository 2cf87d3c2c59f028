import { loadConfig, storageConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('storage', storageConfigSchema),
  () => import('./bootstrap'),
);
