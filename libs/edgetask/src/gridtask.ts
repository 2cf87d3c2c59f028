// The GridTask custom resource (deploy/k8s/crds/gridtask.yaml): one computing task delivered to an edge
// cluster. Its controller turns it into a work cluster of one Pod and one headless Service per rank, and
// keeps its status from those Pods' status. These types mirror the CRD's schema.

export const GRIDTASK_GROUP = 'edge.gridstation.io';
export const GRIDTASK_VERSION = 'v1alpha1';
export const GRIDTASK_PLURAL = 'gridtasks';
export const GRIDTASK_KIND = 'GridTask';
export const GRIDTASK_API_VERSION = `${GRIDTASK_GROUP}/${GRIDTASK_VERSION}`;
/** Held by every GridTask the controller has seen, so its Pods and Services are removed before it goes. */
export const GRIDTASK_FINALIZER = `${GRIDTASK_GROUP}/work-cluster`;
/** Labels on the objects of a work cluster: which GridTask, which rank. */
export const LABEL_TASK = `${GRIDTASK_GROUP}/task`;
export const LABEL_RANK = `${GRIDTASK_GROUP}/rank`;
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'gridstation-edgetask';

export type Framework = 'none' | 'xgboost' | 'lightgbm';

export interface EnvVar {
  name: string;
  /** A value, or a template with placeholders such as {{MASTER_ADDR}} (see templates.ts). */
  value: string;
}

export interface GridTaskSpec {
  /** The station's task id: the result messages name it. */
  taskId: string;
  application: string;
  algorithm: { name: string; version: string; image: string };
  command?: string[];
  args?: string[];
  /** Number of ranks; rank 0 is the master of a distributed algorithm. */
  worldSize: number;
  /** The port every rank listens on (the master's is the tracker/master port). */
  port: number;
  framework: Framework;
  env?: EnvVar[];
  resources?: { cpu?: string; memory?: string };
  /** Kafka topic the algorithm sends its results to (the contract in proto/gridstation/v1/edgetask.proto). */
  resultTopic?: string;
}

export type RankPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown' | 'Missing';
export type TaskPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Terminating';

export interface RankStatus {
  rank: number;
  pod: string;
  phase: RankPhase;
  ready: boolean;
  message?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface GridTaskStatus {
  phase: TaskPhase;
  observedGeneration?: number;
  ranks: RankStatus[];
  conditions: Condition[];
  startedAt?: string;
  finishedAt?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  deletionTimestamp?: string | Date;
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
}

export interface GridTask {
  apiVersion: typeof GRIDTASK_API_VERSION;
  kind: typeof GRIDTASK_KIND;
  metadata: ObjectMeta;
  spec: GridTaskSpec;
  status?: GridTaskStatus;
}

/** A GridTask object as the station creates it on an edge cluster. */
export function gridTask(name: string, namespace: string, spec: GridTaskSpec): GridTask {
  return { apiVersion: GRIDTASK_API_VERSION, kind: GRIDTASK_KIND, metadata: { name, namespace, labels: { [LABEL_MANAGED_BY]: 'gridstation' } }, spec };
}
