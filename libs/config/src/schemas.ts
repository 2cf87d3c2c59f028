import { join } from 'node:path';
import { z } from 'zod';
import { batchEnv, busEnv, clickhouseEnv, commonEnv, deviceTzEnv, hbaseEnv, outageEnv, port, positiveInt, redisEnv, schedulerEnv, terminalEnv, workerEnv } from './fields';

// One schema per service: the variables it reads, their defaults, and the typed object it gets.

export interface CommonConfig {
  service: string;
  instanceId: string;
  http: { host: string; port: number };
  grpc: { host: string; port: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  shutdownTimeoutMs: number;
  telemetry: { tracesExporter: 'none' | 'console' | 'otlp'; otlpEndpoint: string | undefined };
}

export interface BusConfig {
  kind: 'kafka' | 'memory';
  brokers: string[];
  clientId: string;
  partitionsConcurrency: number;
  /** Fetch while earlier records are being handled; commit in order (GS_KAFKA_PIPELINE). */
  pipelined?: boolean;
  /** The in-process bus writes its data topics ahead to this directory (embedded mode); none: memory only. */
  logDir?: string;
  /** Bytes of records one partition of the in-process bus holds before publishers wait. */
  partitionBytes?: number;
}

export interface ClickHouseConfig {
  urls: string[];
  database: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
  asyncInsert: 'on' | 'off' | 'server-default';
  /** Format of reading inserts; default TabSeparated. */
  insertFormat?: 'TabSeparated' | 'JSONEachRow';
  /** The URLs are replicas of one shard: tables are Replicated*MergeTree, created on each replica. */
  replicated?: boolean;
}

export interface HBaseConfig {
  host: string;
  port: number;
  poolSize: number;
  timeoutMs: number;
  namespace: string;
}

export interface RedisConfig {
  url: string;
}

export interface TerminalConfig {
  host: string;
  port: number;
  maxConnections: number;
  idleTimeoutMs: number;
  frameRatePerSec: number;
  frameBurst: number;
  bufferFrames: number;
  publishBatchFrames: number;
  publishLingerMs: number;
  /** gRPC address other instances use to reach this one. */
  advertiseGrpc: string;
  /** A connection that has not logged in (or registered as a gateway) by then is closed. */
  loginDeadlineMs: number;
  /** Refused frames after which a connection is closed. */
  maxRefusals: number;
  /** Serial-to-TCP gateways identified by their source address: address -> gateway id (as in the archive). */
  gatewayAddresses: Record<string, string>;
  /** Registration packets of the gateway models in the field: a pattern over the first bytes, the id in group `id`. */
  gatewayModels: Array<{ name: string; pattern: string }>;
}

type TerminalEnv = z.infer<z.ZodObject<typeof terminalEnv>> & { GS_TERMINAL_PORT: number; GS_GRPC_HOST: string; GS_GRPC_PORT: number };

const terminal = (e: TerminalEnv): TerminalConfig => ({
  host: e.GS_TERMINAL_HOST,
  port: e.GS_TERMINAL_PORT,
  maxConnections: e.GS_MAX_CONNECTIONS,
  idleTimeoutMs: e.GS_IDLE_TIMEOUT_MS,
  frameRatePerSec: e.GS_FRAME_RATE,
  frameBurst: e.GS_FRAME_BURST,
  bufferFrames: e.GS_PUBLISH_BUFFER_FRAMES,
  publishBatchFrames: e.GS_PUBLISH_BATCH_FRAMES,
  publishLingerMs: e.GS_PUBLISH_LINGER_MS,
  advertiseGrpc: e.GS_ADVERTISE_GRPC ?? `${e.GS_GRPC_HOST === '0.0.0.0' ? '127.0.0.1' : e.GS_GRPC_HOST}:${e.GS_GRPC_PORT}`,
  loginDeadlineMs: e.GS_LOGIN_DEADLINE_MS,
  maxRefusals: e.GS_MAX_REFUSALS,
  gatewayAddresses: e.GS_GATEWAY_ADDRESSES,
  gatewayModels: e.GS_GATEWAY_MODELS,
});

const batch = (e: z.infer<z.ZodObject<typeof batchEnv>>) => ({ rows: e.GS_BATCH_ROWS, delayMs: e.GS_BATCH_DELAY_MS, duplicateWindow: e.GS_DUPLICATE_WINDOW, wideLayout: e.GS_HBASE_LAYOUT });

type CommonEnv = z.infer<z.ZodObject<typeof commonEnv>> & { GS_HTTP_PORT: number; GS_GRPC_PORT: number };

const common = (service: string, e: CommonEnv): CommonConfig => ({
  service,
  instanceId: e.GS_INSTANCE_ID,
  http: { host: e.GS_HTTP_HOST, port: e.GS_HTTP_PORT },
  grpc: { host: e.GS_GRPC_HOST, port: e.GS_GRPC_PORT },
  logLevel: e.GS_LOG_LEVEL,
  shutdownTimeoutMs: e.GS_SHUTDOWN_TIMEOUT_MS,
  telemetry: { tracesExporter: e.GS_TRACES_EXPORTER, otlpEndpoint: e.GS_OTLP_ENDPOINT },
});

const bus = (service: string, e: z.infer<z.ZodObject<typeof busEnv>> & { GS_INSTANCE_ID: string }): BusConfig => ({
  kind: e.GS_BUS,
  brokers: e.GS_KAFKA_BROKERS,
  clientId: e.GS_KAFKA_CLIENT_ID ?? `${service}-${e.GS_INSTANCE_ID}`,
  partitionsConcurrency: e.GS_KAFKA_PARTITIONS_CONCURRENCY,
  pipelined: e.GS_KAFKA_PIPELINE === 'on',
});

const clickhouse = (e: z.infer<z.ZodObject<typeof clickhouseEnv>>): ClickHouseConfig => ({
  urls: e.GS_CLICKHOUSE_URLS,
  database: e.GS_CLICKHOUSE_DATABASE,
  username: e.GS_CLICKHOUSE_USER,
  password: e.GS_CLICKHOUSE_PASSWORD,
  requestTimeoutMs: e.GS_CLICKHOUSE_REQUEST_TIMEOUT_MS,
  asyncInsert: e.GS_CLICKHOUSE_ASYNC_INSERT,
  insertFormat: e.GS_CLICKHOUSE_INSERT_FORMAT,
  replicated: e.GS_CLICKHOUSE_REPLICATED === 'on',
});

const hbase = (e: z.infer<z.ZodObject<typeof hbaseEnv>>): HBaseConfig => {
  const [host, p] = e.GS_HBASE_THRIFT.split(':') as [string, string];
  return { host, port: Number(p), poolSize: e.GS_HBASE_POOL_SIZE, timeoutMs: e.GS_HBASE_TIMEOUT_MS, namespace: e.GS_HBASE_NAMESPACE };
};

const redis = (e: z.infer<z.ZodObject<typeof redisEnv>>): RedisConfig => ({ url: e.GS_REDIS_URL });

const outage = (e: z.infer<z.ZodObject<typeof outageEnv>>) => ({
  holdMs: e.GS_OUTAGE_HOLD_MS,
  groupShare: e.GS_OUTAGE_GROUP_SHARE,
  loneEventTtlMs: e.GS_OUTAGE_LONE_EVENT_TTL_MS,
  flapCount: e.GS_OUTAGE_FLAP_COUNT,
  flapWindowMs: e.GS_OUTAGE_FLAP_WINDOW_MS,
  flapQuietMs: e.GS_OUTAGE_FLAP_QUIET_MS,
  settleMs: e.GS_OUTAGE_SETTLE_MS,
});

const limits = (e: z.infer<z.ZodObject<typeof outageEnv>>) => {
  if (e.GS_LIMIT_VOLTAGE_LOW >= e.GS_LIMIT_VOLTAGE_HIGH) throw new Error('GS_LIMIT_VOLTAGE_LOW must be below GS_LIMIT_VOLTAGE_HIGH');
  return {
    voltageHigh: e.GS_LIMIT_VOLTAGE_HIGH,
    voltageLow: e.GS_LIMIT_VOLTAGE_LOW,
    imbalance: e.GS_LIMIT_IMBALANCE,
    imbalanceMinCurrentA: e.GS_LIMIT_IMBALANCE_MIN_CURRENT_A,
    confirmSamples: e.GS_LIMIT_CONFIRM_SAMPLES,
  };
};

// Default ports: HTTP 80xx and gRPC 50xx, one pair per service, so that all of them can run on one host.
const ports = (http: number, grpc: number) => ({ GS_HTTP_PORT: port(http), GS_GRPC_PORT: port(grpc) });

export const commConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8081, 50051),
    ...busEnv,
    ...redisEnv,
    ...terminalEnv,
    ...deviceTzEnv,
    GS_TERMINAL_PORT: port(9100),
    /** The scheduler a collection worker of this instance attaches to (host:port); empty: none. */
    GS_COLLECTION_SCHEDULER_GRPC: z.string().default(''),
    /** Directory of zstd dictionaries (*.dict) the edge agents' batches may name; empty: none. */
    GS_EDGE_DICTIONARIES: z.string().default(''),
    /** Edge batches held between the agents' streams and Kafka. */
    GS_EDGE_RING_BATCHES: z.coerce.number().int().positive().default(1024),
    /** Largest decompressed edge batch accepted, bytes. */
    GS_EDGE_MAX_BATCH_BYTES: z.coerce.number().int().positive().default(8 << 20),
  })
  .transform((e) => ({
    ...common('comm', e),
    edge: { dictionariesDir: e.GS_EDGE_DICTIONARIES, ringBatches: e.GS_EDGE_RING_BATCHES, maxBatchBytes: e.GS_EDGE_MAX_BATCH_BYTES },
    bus: bus('comm', e),
    redis: redis(e),
    terminal: terminal(e),
    tzOffsetMinutes: e.GS_DEVICE_TZ_OFFSET_MINUTES,
    collectionScheduler: e.GS_COLLECTION_SCHEDULER_GRPC,
  }));

export const parserConfigSchema = z
  .object({ ...commonEnv, ...ports(8082, 50052), ...busEnv, ...redisEnv, ...deviceTzEnv })
  .transform((e) => ({ ...common('parser', e), bus: bus('parser', e), redis: redis(e), tzOffsetMinutes: e.GS_DEVICE_TZ_OFFSET_MINUTES }));

export const storageConfigSchema = z
  .object({ ...commonEnv, ...ports(8083, 50053), ...busEnv, ...clickhouseEnv, ...hbaseEnv, ...redisEnv, ...batchEnv })
  .transform((e) => ({
    ...common('storage', e),
    bus: bus('storage', e),
    clickhouse: clickhouse(e),
    hbase: hbase(e),
    redis: redis(e),
    batch: batch(e),
  }));

export const analyticsConfigSchema = z
  .object({ ...commonEnv, ...ports(8084, 50054), ...busEnv, ...redisEnv, ...clickhouseEnv, ...outageEnv })
  .transform((e) => ({
    ...common('analytics', e),
    bus: bus('analytics', e),
    redis: redis(e),
    clickhouse: clickhouse(e),
    outage: outage(e),
    limits: limits(e),
    groupPrefix: e.GS_ANALYTICS_GROUP_PREFIX,
  }));

const scheduling = (e: z.infer<z.ZodObject<typeof schedulerEnv>>) => ({
  heartbeatTimeoutMs: e.GS_SCHEDULER_HEARTBEAT_TIMEOUT_MS,
  reconnectGraceMs: e.GS_SCHEDULER_RECONNECT_GRACE_MS,
  leaseTtlMs: e.GS_SCHEDULER_LEASE_TTL_MS,
  cycleMs: e.GS_SCHEDULER_CYCLE_MS,
  maxExactPairs: e.GS_SCHEDULER_EXACT_PAIRS,
  policy: e.GS_SCHEDULER_POLICY,
  defaultMaxAttempts: e.GS_TASK_MAX_ATTEMPTS,
  defaultBackoffMs: e.GS_TASK_BACKOFF_MS,
});

const capacity = (e: z.infer<z.ZodObject<typeof schedulerEnv>>) => ({ min: e.GS_WORKERS_MIN, max: e.GS_WORKERS_MAX, trialMax: e.GS_TRIAL_WORKERS_MAX, idleReleaseMs: e.GS_WORKER_IDLE_RELEASE_MS, cooldownMs: 2000 });
const trialLimits = (e: z.infer<z.ZodObject<typeof schedulerEnv>>) => ({ timeoutMs: e.GS_TRIAL_PROGRAM_TIMEOUT_MS, heapMb: e.GS_TRIAL_PROGRAM_HEAP_MB });

export const schedulerConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8085, 50055),
    ...busEnv,
    ...redisEnv,
    ...clickhouseEnv,
    ...schedulerEnv,
    /**
     * The task store's Redis (default GS_REDIS_URL). It must persist every write (appendonly yes,
     * appendfsync always): the task state lives there.
     */
    GS_SCHEDULER_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis:// or rediss://').optional(),
    GS_SCHEDULER_KEY_PREFIX: z.string().min(1).default('gs:sched:'),
    /** Who runs workers: none (they are deployed on their own), local (processes on this host) or kubernetes (a Deployment scaled through the API server). */
    GS_WORKER_POOL: z.enum(['none', 'local', 'kubernetes']).default('none'),
    /** The worker command of the local pool (default: this checkout's worker app). */
    GS_WORKER_COMMAND: z.string().min(1).optional(),
    GS_K8S_NAMESPACE: z.string().default('gridstation'),
    GS_K8S_WORKER_DEPLOYMENT: z.string().default('gridstation-worker'),
    GS_K8S_TRIAL_DEPLOYMENT: z.string().default('gridstation-worker-trial'),
    /** Collection plans (CollectionService) run by this scheduler: on (default) or off. */
    GS_COLLECTION: z.enum(['on', 'off']).default('on'),
    /** Edge computing tasks (EdgeRegistryService, slot edge.task, results from gs.edge-results.v1): on (default) or off. */
    GS_EDGE_TASKS: z.enum(['on', 'off']).default('on'),
    /** An edge task's longest run (delivery to the end of its GridTask), and how often its status is read. */
    GS_EDGE_TASK_TIMEOUT_MS: positiveInt(6 * 3_600_000),
    GS_EDGE_POLL_MS: positiveInt(1_000),
  })
  .transform((e) => ({
    ...common('scheduler', e),
    bus: bus('scheduler', e),
    redis: redis(e),
    taskRedis: { url: e.GS_SCHEDULER_REDIS_URL ?? e.GS_REDIS_URL },
    keyPrefix: e.GS_SCHEDULER_KEY_PREFIX,
    clickhouse: clickhouse(e),
    scheduling: scheduling(e),
    capacity: capacity(e),
    workerPool: e.GS_WORKER_POOL,
    trial: trialLimits(e),
    workerCommand: e.GS_WORKER_COMMAND,
    kubernetes: { namespace: e.GS_K8S_NAMESPACE, deployment: e.GS_K8S_WORKER_DEPLOYMENT, trialDeployment: e.GS_K8S_TRIAL_DEPLOYMENT },
    collection: e.GS_COLLECTION === 'on',
    edgeTasks: e.GS_EDGE_TASKS === 'on' ? { timeoutMs: e.GS_EDGE_TASK_TIMEOUT_MS, pollMs: e.GS_EDGE_POLL_MS } : undefined,
  }));

export const workerConfigSchema = z
  .object({ ...commonEnv, ...ports(8091, 50061), ...workerEnv })
  .transform((e) => ({
    ...common('worker', e),
    scheduler: e.GS_SCHEDULER_GRPC,
    workerId: e.GS_WORKER_ID ?? e.GS_INSTANCE_ID,
    trial: e.GS_WORKER_TRIAL,
    cpu: e.GS_WORKER_CPU,
    memoryBytes: e.GS_WORKER_MEMORY_MB * 1024 * 1024,
    heartbeatMs: e.GS_WORKER_HEARTBEAT_MS,
    programHeapMb: e.GS_PROGRAM_HEAP_MB,
    programTimeoutMs: e.GS_PROGRAM_TIMEOUT_MS,
  }));

export const rebalancerConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8086, 50056),
    ...busEnv,
    ...redisEnv,
    /**
     * Station pods' gRPC addresses, comma-separated: host:port, or dns:name:port for every address a
     * name resolves to (a Kubernetes headless Service), resolved again each period.
     */
    GS_REBALANCER_PODS: z.string().default(''),
    GS_REBALANCER_PERIOD_MS: z.coerce.number().int().min(100).default(10_000),
    /** Hotspot: load > beta x mean for k periods in a row, and records/s above the absolute floor. */
    GS_REBALANCER_BETA: z.coerce.number().min(1).default(1.1),
    GS_REBALANCER_K: z.coerce.number().int().min(1).default(3),
    GS_REBALANCER_ABSOLUTE_RATE: z.coerce.number().min(0).default(1_000),
    /** Agents moved per period at most (the eviction rate), and periods an agent stays after a move. */
    GS_REBALANCER_MAX_MOVES: z.coerce.number().int().min(0).default(50),
    GS_REBALANCER_COOLDOWN: z.coerce.number().int().min(0).default(3),
    /** Weights of records/s, queue length and CPU in a pod's load. */
    GS_REBALANCER_WEIGHTS: z
      .string()
      .default('0.6,0.2,0.2')
      .transform((v) => v.split(',').map(Number))
      .refine((w) => w.length === 3 && w.every((x) => Number.isFinite(x) && x >= 0) && w.some((x) => x > 0), 'three non-negative weights: rate,queue,cpu'),
  })
  .transform((e) => ({
    ...common('rebalancer', e),
    bus: bus('rebalancer', e),
    redis: redis(e),
    pods: e.GS_REBALANCER_PODS.split(',').map((x) => x.trim()).filter(Boolean),
    periodMs: e.GS_REBALANCER_PERIOD_MS,
    policy: {
      beta: e.GS_REBALANCER_BETA,
      k: e.GS_REBALANCER_K,
      absoluteRate: e.GS_REBALANCER_ABSOLUTE_RATE,
      maxMovesPerPeriod: e.GS_REBALANCER_MAX_MOVES,
      cooldownPeriods: e.GS_REBALANCER_COOLDOWN,
      weights: { rate: e.GS_REBALANCER_WEIGHTS[0]!, queue: e.GS_REBALANCER_WEIGHTS[1]!, cpu: e.GS_REBALANCER_WEIGHTS[2]! },
    },
  }));

// The all-in-one station: embedded by default (in-process bus, nothing external needed).
export const stationConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8080, 50050),
    ...busEnv,
    GS_BUS: z.enum(['kafka', 'memory']).default('memory'),
    ...terminalEnv,
    ...batchEnv,
    // In one process nothing is gained by holding frames and rows long for bigger batches (no network
    // round trip to amortise; a batch fills by size first under load): shorter waits than the services'.
    // Measured at the demo load (100 x 8 meters): p50 120-200 ms / p99 150-630 ms with 20 + 50 ms,
    // p50 60-85 ms / p99 80-130 ms with 5 + 20 ms.
    GS_PUBLISH_LINGER_MS: positiveInt(5),
    GS_BATCH_DELAY_MS: positiveInt(20),
    // One process holds everything: a smaller duplicate window than the storage service's (about 30 MB).
    GS_DUPLICATE_WINDOW: positiveInt(200_000),
    ...deviceTzEnv,
    ...outageEnv,
    GS_TERMINAL_PORT: port(9100),
    GS_DATA_DIR: z.string().default('.gridstation-data'),
    /**
     * The in-process bus keeps its data topics in a write-ahead log under GS_DATA_DIR/bus, so that a frame
     * confirmed to a terminal survives kill -9 (on); off keeps them in memory only (faster, loses what is
     * in flight on a crash).
     */
    GS_BUS_LOG: z.enum(['on', 'off']).default('on'),
    /** The dead-letter file rotates at this size, and this many files are kept (the oldest is dropped, counted). */
    GS_DEAD_LETTER_FILE_BYTES: positiveInt(16 * 1024 * 1024),
    /** Memory the embedded engines may take: DuckDB's memory_limit and threads, LevelDB's block cache and open files. */
    GS_DUCKDB_MEMORY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'expected a size like 256MB').default('256MB'),
    GS_DUCKDB_THREADS: positiveInt(2),
    /** How a new DuckDB file stores readings: 'log' (appended, identity applied when read) or 'merge' (primary key, merged per batch). */
    GS_DUCKDB_LAYOUT: z.enum(['log', 'merge']).default('log'),
    GS_LEVELDB_CACHE_BYTES: positiveInt(8 * 1024 * 1024),
    GS_LEVELDB_MAX_OPEN_FILES: positiveInt(256),
    /** Bytes of records a partition of the in-process bus holds before publishers wait (backpressure). */
    GS_BUS_PARTITION_BYTES: positiveInt(2 * 1024 * 1024),
    GS_DEAD_LETTER_FILES: z.coerce.number().int().min(1).default(4),
    /** Terminals and their meters (JSON: [{"address":"4101-00001","meters":[{"pn":1,"meterId":"..."}]}]) loaded into the archive at start. */
    GS_ARCHIVE_FILE: z.string().min(1).optional(),
    GS_RUN_SECONDS: z.coerce.number().nonnegative().default(0),
    /** The operator console at /console on the HTTP port: on (default) or off. */
    GS_CONSOLE: z.enum(['on', 'off']).default('on'),
    /**
     * Console users, name:role:secret comma-separated; role read-only or operator; secret scrypt$<salt>$<hash>
     * (node tools/console/hash-password.mjs) or plain:<password>. Empty: an "operator" and a "viewer" with
     * passwords made at start and printed on the first line.
     */
    GS_CONSOLE_USERS: z.string().default(''),
    /** Built-in simulator: terminals to simulate (0 = none), meters each, report rounds per second. */
    GS_SIM_TERMINALS: z.coerce.number().int().nonnegative().default(0),
    GS_SIM_METERS: positiveInt(8),
    GS_SIM_RATE: z.coerce.number().positive().default(1),
    /** DL/T 698.45 concentrators the simulator adds to its 1376.1 terminals (a mixed fleet on the same port). */
    GS_SIM_TERMINALS_698: z.coerce.number().int().nonnegative().default(0),
    /** Demo outages: every this often one simulated transformer area loses supply (0 = never), for GS_SIM_OUTAGE_MS. */
    GS_SIM_OUTAGE_EVERY_MS: z.coerce.number().int().nonnegative().default(0),
    GS_SIM_OUTAGE_MS: positiveInt(30_000),
    /** Real-time analytics (outage detection, limits, AlertService) in this process: on (default) or off. */
    GS_ANALYTICS: z.enum(['on', 'off']).default('on'),
    GS_SUMMARY_INTERVAL_MS: z.coerce.number().int().nonnegative().default(0),
    ...schedulerEnv,
    /** Workers the embedded scheduler runs in this process (production; trial ones are added on demand). */
    GS_WORKERS: z.coerce.number().int().nonnegative().default(2),
  })
  .transform((e) => ({
    ...common('station', e),
    bus: { ...bus('station', e), partitionBytes: e.GS_BUS_PARTITION_BYTES, ...(e.GS_BUS_LOG === 'on' ? { logDir: join(e.GS_DATA_DIR, 'bus') } : {}) },
    dataDir: e.GS_DATA_DIR,
    archiveFile: e.GS_ARCHIVE_FILE,
    deadLetters: { maxFileBytes: e.GS_DEAD_LETTER_FILE_BYTES, maxFiles: e.GS_DEAD_LETTER_FILES },
    duckdb: { memoryLimit: e.GS_DUCKDB_MEMORY_LIMIT, threads: e.GS_DUCKDB_THREADS, layout: e.GS_DUCKDB_LAYOUT },
    leveldb: { cacheBytes: e.GS_LEVELDB_CACHE_BYTES, writeBufferBytes: 4 * 1024 * 1024, maxOpenFiles: e.GS_LEVELDB_MAX_OPEN_FILES },
    runSeconds: e.GS_RUN_SECONDS,
    terminal: terminal(e),
    batch: batch(e),
    tzOffsetMinutes: e.GS_DEVICE_TZ_OFFSET_MINUTES,
    simulator: { terminals: e.GS_SIM_TERMINALS, metersPerTerminal: e.GS_SIM_METERS, roundsPerSecond: e.GS_SIM_RATE, dlt698Terminals: e.GS_SIM_TERMINALS_698 },
    demoOutages: { everyMs: e.GS_SIM_OUTAGE_EVERY_MS, lastsMs: e.GS_SIM_OUTAGE_MS },
    analytics: e.GS_ANALYTICS === 'on',
    console: e.GS_CONSOLE === 'on' ? { users: e.GS_CONSOLE_USERS } : undefined,
    summaryIntervalMs: e.GS_SUMMARY_INTERVAL_MS,
    outage: outage(e),
    limits: limits(e),
    analyticsGroupPrefix: e.GS_ANALYTICS_GROUP_PREFIX,
    scheduling: scheduling(e),
    capacity: { ...capacity(e), min: e.GS_WORKERS, max: Math.max(e.GS_WORKERS, e.GS_WORKERS_MAX) },
    trial: trialLimits(e),
  }));

// The operator console as its own pod (apps/console): its pages and API on the HTTP port, the task and
// program services of the scheduler over gRPC, the overview from the services' /metrics.
export const consoleConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8087, 50057),
    /** TaskService and ProgramService (the scheduler). */
    GS_CONSOLE_GRPC: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port').default('127.0.0.1:50055'),
    /** AlertService and TopologyService (the analytics service). */
    GS_CONSOLE_ANALYTICS_GRPC: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port').default('127.0.0.1:50054'),
    /** TerminalService of every communication pod, comma-separated: host:port, or dns:name:port for every address a name resolves to. */
    GS_CONSOLE_COMM_GRPC: z.string().default('127.0.0.1:50051'),
    /** RebalancerService; empty: no agents and pods page. */
    GS_CONSOLE_REBALANCER_GRPC: z.union([z.literal(''), z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')]).default('127.0.0.1:50056'),
    /** The /metrics URLs the overview reads, comma-separated (comm, parser, storage pods or their Services). */
    GS_CONSOLE_METRICS: z.string().default(''),
    /** name:role:secret, comma-separated (see the station's GS_CONSOLE_USERS); required here. */
    GS_CONSOLE_USERS: z.string().min(1, 'GS_CONSOLE_USERS must name at least one user'),
  })
  .transform((e) => ({
    ...common('console', e),
    grpcTarget: e.GS_CONSOLE_GRPC,
    analyticsTarget: e.GS_CONSOLE_ANALYTICS_GRPC,
    commTargets: e.GS_CONSOLE_COMM_GRPC.split(',').map((x) => x.trim()).filter(Boolean),
    rebalancerTarget: e.GS_CONSOLE_REBALANCER_GRPC || undefined,
    metrics: e.GS_CONSOLE_METRICS.split(',').map((x) => x.trim()).filter(Boolean),
    users: e.GS_CONSOLE_USERS,
  }));

// The GridTask controller of an edge cluster (apps/edge-controller, deploy/k8s/edge).
export const edgeControllerConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8092, 50062),
    /** The namespace whose GridTasks it reconciles. */
    GS_EDGE_NAMESPACE: z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a namespace name').default('gridstation-edge'),
    /** A kubeconfig file; empty: in-cluster credentials (the Pod's ServiceAccount), then $KUBECONFIG, then ~/.kube/config. */
    GS_KUBECONFIG: z.string().default(''),
    /** Every GridTask is reconciled again this often without an event. */
    GS_EDGE_RESYNC_MS: positiveInt(30_000),
  })
  .transform((e) => ({
    ...common('edge-controller', e),
    namespace: e.GS_EDGE_NAMESPACE,
    kubeconfig: e.GS_KUBECONFIG || undefined,
    resyncMs: e.GS_EDGE_RESYNC_MS,
  }));

export const agentConfigSchema = z
  .object({
    ...commonEnv,
    ...ports(8090, 50060),
    /** Station pods (gRPC, comma-separated); the first is used first, the next on failure. */
    GS_STATION_GRPC: z.string().default('127.0.0.1:50051'),
    /** The agent's id and where it runs. Its meters are simulated: GS_AGENT_METERS of them, as terminal GS_AGENT_REGION-GS_AGENT_INDEX. */
    GS_AGENT_ID: z.string().default(''),
    GS_AGENT_SITE: z.string().default('edge'),
    GS_AGENT_REGION: z.string().regex(/^\d{4}$/).default('7100'),
    GS_AGENT_INDEX: z.coerce.number().int().min(0).max(99_999).default(1),
    GS_AGENT_METERS: z.coerce.number().int().min(1).max(10_000).default(32),
    /** Meters are read every GS_AGENT_READ_MS; a batch closes every GS_AGENT_WINDOW_MS. */
    GS_AGENT_READ_MS: z.coerce.number().int().min(10).default(1_000),
    GS_AGENT_WINDOW_MS: z.coerce.number().int().min(10).default(5_000),
    /** Where unacknowledged batches are kept, and how many bytes at most. */
    GS_AGENT_SPOOL_DIR: z.string().default('.gridstation-agent/spool'),
    GS_AGENT_SPOOL_BYTES: z.coerce.number().int().positive().default(256 << 20),
    /** A zstd dictionary file (trained: tools/edge/train-dictionary); empty: plain zstd. */
    GS_AGENT_DICTIONARY: z.string().default(''),
    /** Send rate limit (token bucket), bytes/s, 0 = none. */
    GS_AGENT_RATE_BYTES: z.coerce.number().int().min(0).default(0),
    GS_AGENT_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(16),
  })
  .transform((e) => ({
    ...common('agent', e),
    station: e.GS_STATION_GRPC.split(',')[0]!.trim(),
    stations: e.GS_STATION_GRPC.split(',').map((x) => x.trim()).filter(Boolean),
    agent: {
      id: e.GS_AGENT_ID || `${e.GS_AGENT_REGION}-${String(e.GS_AGENT_INDEX).padStart(5, '0')}`,
      site: e.GS_AGENT_SITE,
      region: e.GS_AGENT_REGION,
      index: e.GS_AGENT_INDEX,
      meters: e.GS_AGENT_METERS,
      readMs: e.GS_AGENT_READ_MS,
      windowMs: e.GS_AGENT_WINDOW_MS,
      spoolDir: e.GS_AGENT_SPOOL_DIR,
      spoolBytes: e.GS_AGENT_SPOOL_BYTES,
      dictionary: e.GS_AGENT_DICTIONARY,
      rateBytes: e.GS_AGENT_RATE_BYTES,
      maxInFlight: e.GS_AGENT_MAX_IN_FLIGHT,
    },
  }));

export type CommConfig = z.infer<typeof commConfigSchema>;
export type ParserConfig = z.infer<typeof parserConfigSchema>;
export type StorageConfig = z.infer<typeof storageConfigSchema>;
export type AnalyticsConfig = z.infer<typeof analyticsConfigSchema>;
export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
export type WorkerConfig = z.infer<typeof workerConfigSchema>;
export type RebalancerConfig = z.infer<typeof rebalancerConfigSchema>;
export type EdgeControllerConfig = z.infer<typeof edgeControllerConfigSchema>;
export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;
export type StationConfig = z.infer<typeof stationConfigSchema>;
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** Every service's schema: what a GS_ variable is checked against before it is called unknown. */
export const ALL_SCHEMAS = [commConfigSchema, parserConfigSchema, storageConfigSchema, analyticsConfigSchema, schedulerConfigSchema, workerConfigSchema, rebalancerConfigSchema, stationConfigSchema, agentConfigSchema, edgeControllerConfigSchema, consoleConfigSchema] as const;
