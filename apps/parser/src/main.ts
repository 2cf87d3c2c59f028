import { loadConfig, parserConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('parser', parserConfigSchema),
  () => import('./bootstrap'),
);
