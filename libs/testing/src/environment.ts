import { join } from 'node:path';

// Where the checkout is comes from the test setup (tools/scripts/test-environment.js, loaded by the Jest
// preset) or from a tool (configureTestEnvironment); this library does not work it out from its own
// location. The servers' ports follow the same GS_*_PORT variables as tools/infra/infra.sh.

export interface TestEnvironment {
  repoRoot: string;
  infraScript: string;
  infraDir: string;
  /** Clients tools/infra built or installed (grpcurl). */
  binDir: string;
  kafkaBrokers: string[];
  clickhouseUrl: string;
  /** The two ClickHouse replicas of tools/infra (service clickhouse-ha). */
  clickhouseReplicaUrls: string[];
  hbase: { host: string; port: number };
  redisUrl: string;
  /** The kube-apiserver of tools/infra (service kube): its kubeconfig and kubectl built with it. */
  kube: { url: string; kubeconfig: string; kubectl: string };
}

let configuredRoot: string | undefined;

/** For tools that use this library outside Jest. */
export function configureTestEnvironment(o: { repoRoot: string }): void {
  configuredRoot = o.repoRoot;
}

export function testEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): TestEnvironment {
  const repoRoot = configuredRoot ?? (globalThis as { __GS_TEST_ENV__?: { repoRoot: string } }).__GS_TEST_ENV__?.repoRoot;
  if (!repoRoot) throw new Error('test environment not configured: Jest loads it through jest.preset.js (tools/scripts/test-environment.js); other tools call configureTestEnvironment()');
  const infraDir = env['GS_INFRA_DIR'] || join(repoRoot, '.infra');
  return {
    repoRoot,
    infraScript: join(repoRoot, 'tools', 'infra', 'infra.sh'),
    infraDir,
    binDir: join(infraDir, 'bin'),
    kafkaBrokers: [`127.0.0.1:${env['GS_KAFKA_PORT'] || 9092}`],
    clickhouseUrl: `http://127.0.0.1:${env['GS_CLICKHOUSE_HTTP_PORT'] || 8123}`,
    clickhouseReplicaUrls: (env['GS_CLICKHOUSE_HA_HTTP_PORTS'] || '8124 8125').split(/[\s,]+/).filter(Boolean).map((p) => `http://127.0.0.1:${p}`),
    hbase: { host: '127.0.0.1', port: Number(env['GS_HBASE_THRIFT_PORT'] || 9090) },
    redisUrl: `redis://127.0.0.1:${env['GS_REDIS_PORT'] || 6379}`,
    kube: {
      url: `https://127.0.0.1:${env['GS_KUBE_PORT'] || 6443}`,
      kubeconfig: join(infraDir, 'kube', 'kubeconfig'),
      kubectl: join(infraDir, 'bin', `kube-${env['GS_KUBE_VERSION'] || 'v1.34.4'}`, 'kubectl'),
    },
  };
}

/** The servers of tools/infra, read from the environment at use. */
export const infra = {
  get kafkaBrokers(): string[] {
    return testEnvironment().kafkaBrokers;
  },
  get clickhouseUrl(): string {
    return testEnvironment().clickhouseUrl;
  },
  get clickhouseReplicaUrls(): string[] {
    return testEnvironment().clickhouseReplicaUrls;
  },
  get hbase(): { host: string; port: number } {
    return testEnvironment().hbase;
  },
  get redisUrl(): string {
    return testEnvironment().redisUrl;
  },
  get kube(): TestEnvironment['kube'] {
    return testEnvironment().kube;
  },
};

export const repoRoot = (): string => testEnvironment().repoRoot;
