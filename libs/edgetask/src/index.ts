export * from './gridtask';
export { GridTaskController, type ControllerOptions } from './controller';
export { kubeConfig, loadKubernetes } from './kube';
export { NETWORK_INFO_ENV, networkInfo, PLACEHOLDER_NAMES, podEnv, presetEnv, rankHost, replaceTemplate, templateErrors, TemplateError, type NetworkInfo } from './templates';
export { desiredPods, desiredServices, rankName, sameStatus, statusOf, taskPhase, type ObservedPod } from './work-cluster';
