import { edgeControllerConfigSchema, loadConfig } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('edge-controller', edgeControllerConfigSchema),
  () => import('./bootstrap'),
);
