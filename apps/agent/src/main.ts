import { loadConfig, agentConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('agent', agentConfigSchema),
  () => import('./bootstrap'),
);
