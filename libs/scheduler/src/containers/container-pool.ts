// The container module's port (BOS 3.3): the task module says how many workers it needs, the pool makes
// it so. Adapters: workers in this process (embedded), worker processes on this machine (tests,
// benchmarks, a single host), and a Kubernetes Deployment scaled through the API server.

export interface ContainerPool {
  readonly kind: string;
  /** Workers of the pool (trial or production) that run or have been asked for. */
  size(trial: boolean): number;
  /** Asks for `n` workers; resolves once the request is made (workers connect when they are up). */
  scaleTo(trial: boolean, n: number): Promise<void>;
  close(): Promise<void>;
}

export const CONTAINER_POOL = Symbol('CONTAINER_POOL');
