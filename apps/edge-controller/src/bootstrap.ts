import { Module, type DynamicModule } from '@nestjs/common';
import type { EdgeControllerConfig } from '@gridstation/config';
import { GridTaskController } from '@gridstation/edgetask';
import { HEALTH, LOGGER, provideWorkerLifecycle, STOP_ORDER, startService, type HealthRegistry, type RunningService } from '@gridstation/service';
import type { Logger, Telemetry } from '@gridstation/telemetry';

@Module({})
class EdgeControllerModule {
  static register(config: EdgeControllerConfig): DynamicModule {
    return {
      module: EdgeControllerModule,
      providers: [
        {
          provide: GridTaskController,
          inject: [LOGGER, HEALTH],
          useFactory: (log: Logger, health: HealthRegistry) => {
            const c = new GridTaskController({ namespace: config.namespace, kubeconfig: config.kubeconfig, resyncMs: config.resyncMs }, log.child({ component: 'gridtask-controller' }));
            health.register('kube-apiserver', () => c.healthCheck());
            return c;
          },
        },
        provideWorkerLifecycle<GridTaskController>(GridTaskController, (c) => c.start(), (c) => c.stop(), STOP_ORDER.control),
      ],
    };
  }
}

// Edge controller: runs in an edge cluster (deploy/k8s/edge) and turns the GridTasks the station
// delivers into their work clusters (a Pod and a headless Service per rank), keeping each GridTask's
// status from its Pods. Built only from shared libs.
export function bootstrap(config: EdgeControllerConfig, telemetry: Telemetry, handleSignals = true): Promise<RunningService> {
  return startService({ config, telemetry, handleSignals, imports: [EdgeControllerModule.register(config)] });
}
