import { loadConfig, rebalancerConfigSchema } from '@gridstation/config';
import { launch } from '@gridstation/service';

launch(
  () => loadConfig('rebalancer', rebalancerConfigSchema),
  () => import('./bootstrap'),
);
