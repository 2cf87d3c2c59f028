import { hostname } from 'node:os';
import { z } from 'zod';

// Building blocks for the per-service schemas. Every variable is prefixed GS_; lists are comma-separated.

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);
export const list = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
    .pipe(z.array(z.string()).min(1));
const hostPort = z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port');
const httpUrl = z.string().url().refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL');

export const commonEnv = {
  GS_INSTANCE_ID: z.string().min(1).default(hostname()),
  GS_HTTP_HOST: z.string().default('0.0.0.0'),
  GS_GRPC_HOST: z.string().default('0.0.0.0'),
  GS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GS_SHUTDOWN_TIMEOUT_MS: positiveInt(15000),
  GS_TRACES_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
  GS_OTLP_ENDPOINT: z.string().url().optional(),
};

export const busEnv = {
  GS_BUS: z.enum(['kafka', 'memory']).default('kafka'),
  GS_KAFKA_BROKERS: list('127.0.0.1:9092').pipe(z.array(hostPort)),
  GS_KAFKA_CLIENT_ID: z.string().min(1).optional(),
  /**
   * Partitions one subscription works on at once. Batches of records from different partitions share the
   * stores' write batches, so this must cover every partition a consumer owns, or records wait for other
   * partitions' flushes in turn.
   */
  GS_KAFKA_PARTITIONS_CONCURRENCY: positiveInt(32),
  /**
   * `on`: a consumer keeps fetching while the records it already has are being handled, and commits each
   * partition's offsets in order as the records below them settle (bounded by the subscription's
   * in-flight messages and bytes). `off` (the default): the next fetch waits until every record of the
   * last one settled. Measured on the 2-core benchmark machine, `on` stored 0.84x the readings/s with a
   * 4-7x higher p99 (npm run -s bench -- --before=GS_KAFKA_PIPELINE=off), so it is not the default.
   */
  GS_KAFKA_PIPELINE: z.enum(['on', 'off']).default('off'),
};

export const redisEnv = {
  GS_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'expected redis:// or rediss://').default('redis://127.0.0.1:6379'),
};

export const clickhouseEnv = {
  GS_CLICKHOUSE_URLS: list('http://127.0.0.1:8123').pipe(z.array(httpUrl)),
  GS_CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('gridstation'),
  GS_CLICKHOUSE_USER: z.string().default('default'),
  GS_CLICKHOUSE_PASSWORD: z.string().default(''),
  GS_CLICKHOUSE_REQUEST_TIMEOUT_MS: positiveInt(30000),
  GS_CLICKHOUSE_ASYNC_INSERT: z.enum(['on', 'off', 'server-default']).default('off'),
  /** How reading batches are sent: TabSeparated (cheaper to produce) or JSONEachRow (easier to read in a capture). */
  GS_CLICKHOUSE_INSERT_FORMAT: z.enum(['TabSeparated', 'JSONEachRow']).default('TabSeparated'),
  /**
   * on: the URLs are replicas of one shard; tables are created as Replicated*MergeTree (through the
   * servers' ZooKeeper) on every replica, so a write on one is on all.
   */
  GS_CLICKHOUSE_REPLICATED: z.enum(['on', 'off']).default('off'),
};

export const hbaseEnv = {
  GS_HBASE_THRIFT: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port').default('127.0.0.1:9090'),
  GS_HBASE_POOL_SIZE: positiveInt(4),
  GS_HBASE_TIMEOUT_MS: positiveInt(10000),
  GS_HBASE_NAMESPACE: z.string().regex(/^[A-Za-z0-9_]+$/).default('default'),
};

/** Terminal-facing settings of the communication feature (comm service and the station). */
export const terminalEnv = {
  GS_TERMINAL_HOST: z.string().default('0.0.0.0'),
  GS_MAX_CONNECTIONS: positiveInt(20000),
  GS_IDLE_TIMEOUT_MS: positiveInt(1_800_000),
  GS_FRAME_RATE: positiveInt(100),
  GS_FRAME_BURST: positiveInt(500),
  GS_PUBLISH_BUFFER_FRAMES: positiveInt(50000),
  GS_PUBLISH_BATCH_FRAMES: positiveInt(2000),
  GS_PUBLISH_LINGER_MS: positiveInt(20),
  /** host:port other instances reach this one's gRPC on; default: GS_GRPC_HOST (127.0.0.1 for 0.0.0.0) and GS_GRPC_PORT. */
  GS_ADVERTISE_GRPC: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port').optional(),
  /** A socket that has not logged in (or registered as a gateway) within this is closed: silent sockets do not hold file descriptors. */
  GS_LOGIN_DEADLINE_MS: positiveInt(30_000),
  /** Refused frames after which a connection is closed. */
  GS_MAX_REFUSALS: positiveInt(20),
  /** DL/T 645 serial-to-TCP gateways known by source address: "10.1.2.3=GW0001,10.1.2.4=GW0002". */
  GS_GATEWAY_ADDRESSES: z
    .string()
    .default('')
    .transform((s, ctx) => {
      const out: Record<string, string> = {};
      for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
        const m = /^([0-9a-fA-F:.]+)=([0-9A-Za-z_-]{1,32})$/.exec(part);
        if (!m) ctx.addIssue({ code: z.ZodIssueCode.custom, message: `"${part}" is not address=gateway-id` });
        else out[m[1]!] = m[2]!;
      }
      return out;
    }),
  /**
   * Registration packets of the gateway models in the field, as JSON: [{"name":"...","pattern":"^REG:(?<id>[0-9A-Z]{8})\\r\\n"}].
   * The pattern is matched against the first bytes of a connection read as latin1 text; group `id` is the gateway id.
   */
  GS_GATEWAY_MODELS: z
    .string()
    .default(JSON.stringify([{ name: 'ascii-registration', pattern: '^REG:(?<id>[0-9A-Za-z_-]{1,32})\\r?\\n' }]))
    .transform((s, ctx) => {
      try {
        const models = z.array(z.object({ name: z.string().min(1), pattern: z.string().min(1) })).parse(JSON.parse(s));
        for (const m of models) new RegExp(m.pattern);
        return models;
      } catch (e) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a JSON list of {name, pattern} with valid patterns: ${e instanceof Error ? e.message : String(e)}` });
        return z.NEVER;
      }
    }),
};

/** Storage batching, and the duplicate check's memory. */
export const batchEnv = {
  /**
   * Reading identities the duplicate check remembers (two generations of half this each): what it costs
   * in memory is set here, about 150 bytes per identity.
   */
  GS_DUPLICATE_WINDOW: positiveInt(1_000_000),
  GS_BATCH_ROWS: positiveInt(5000),
  /**
   * The longest a row waits for its batch. A consumer fetches again only after its batch is stored, so
   * this delay is paid about twice by a record arriving during a flush; under load the row trigger fires first.
   */
  GS_BATCH_DELAY_MS: positiveInt(50),
  /**
   * How readings are laid out in the wide-column table: `packed` (one cell per meter, data time and
   * frame, holding all of that frame's values at that time) or `cells` (one cell per reading, the
   * earlier layout). Both read back alike; a table may hold both.
   */
  GS_HBASE_LAYOUT: z.enum(['packed', 'cells']).default('packed'),
};

/** Minutes east of UTC of the devices' clocks (480 = China Standard Time). */
export const deviceTzEnv = {
  GS_DEVICE_TZ_OFFSET_MINUTES: z.coerce.number().int().min(-720).max(840).default(480),
};

/** Outage detection (analytics): see libs/analytics/README.md for what each one changes. */
export const outageEnv = {
  /** Prefix of the analytics consumer groups (one deployment = one prefix). */
  GS_ANALYTICS_GROUP_PREFIX: z.string().regex(/^[A-Za-z0-9._-]+$/).default('gs-analytics'),
  GS_OUTAGE_HOLD_MS: z.coerce.number().int().nonnegative().default(200),
  GS_OUTAGE_GROUP_SHARE: z.coerce.number().gt(0).max(1).default(0.5),
  GS_OUTAGE_LONE_EVENT_TTL_MS: positiveInt(30_000),
  GS_OUTAGE_FLAP_COUNT: z.coerce.number().int().min(2).default(3),
  GS_OUTAGE_FLAP_WINDOW_MS: positiveInt(120_000),
  GS_OUTAGE_FLAP_QUIET_MS: positiveInt(60_000),
  GS_OUTAGE_SETTLE_MS: z.coerce.number().int().nonnegative().default(2_000),
  /** Measurement limits per meter: voltage band (V), current imbalance ((max-min)/max), readings in a row to open/clear. */
  GS_LIMIT_VOLTAGE_HIGH: z.coerce.number().positive().default(235.4),
  GS_LIMIT_VOLTAGE_LOW: z.coerce.number().positive().default(198),
  GS_LIMIT_IMBALANCE: z.coerce.number().gt(0).max(1).default(0.5),
  GS_LIMIT_IMBALANCE_MIN_CURRENT_A: z.coerce.number().nonnegative().default(5),
  GS_LIMIT_CONFIRM_SAMPLES: z.coerce.number().int().min(1).default(2),
};

/** The scheduler's task layer: decisions, workers and the container module (scheduler service and station). */
export const schedulerEnv = {
  /** A worker silent for this long is gone; its task is retried. */
  GS_SCHEDULER_HEARTBEAT_TIMEOUT_MS: positiveInt(15_000),
  /** After a start or a worker's disconnect, how long workers have to say what they run before it is retried. */
  GS_SCHEDULER_RECONNECT_GRACE_MS: positiveInt(5_000),
  /** Single-writer lease on the task store; a scheduler that lost it stops deciding. */
  GS_SCHEDULER_LEASE_TTL_MS: positiveInt(10_000),
  GS_SCHEDULER_CYCLE_MS: positiveInt(50),
  /** Assignments with at most this many task-worker pairs are solved exactly (HiGHS), larger ones greedily. */
  GS_SCHEDULER_EXACT_PAIRS: positiveInt(64),
  /** tccsp (co-scheduling); fifo and edf are the baselines, for comparison. */
  GS_SCHEDULER_POLICY: z.enum(['tccsp', 'fifo', 'edf']).default('tccsp'),
  GS_TASK_MAX_ATTEMPTS: positiveInt(3),
  GS_TASK_BACKOFF_MS: positiveInt(1_000),
  /** Production workers the container module keeps at least / asks for at most; trial workers at most. */
  GS_WORKERS_MIN: z.coerce.number().int().nonnegative().default(1),
  GS_WORKERS_MAX: positiveInt(8),
  GS_TRIAL_WORKERS_MAX: z.coerce.number().int().nonnegative().default(1),
  /** Workers idle with nothing ready for this long are released (normal mode lowers cost). */
  GS_WORKER_IDLE_RELEASE_MS: positiveInt(30_000),
  /** Longest run of a program on a trial worker (ms), and the heap its sandbox gets (MB). */
  GS_TRIAL_PROGRAM_TIMEOUT_MS: positiveInt(30_000),
  GS_TRIAL_PROGRAM_HEAP_MB: positiveInt(96),
};

export const workerEnv = {
  /** The scheduler's gRPC address (WorkerService, ProgramService). */
  GS_SCHEDULER_GRPC: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port').default('127.0.0.1:50055'),
  /** Unique per worker; default: the instance id. */
  GS_WORKER_ID: z.string().min(1).optional(),
  /** A trial worker runs private and not yet launched programs only, under tighter limits. */
  GS_WORKER_TRIAL: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** CPU (cores) and memory the worker reports to the scheduler (its container's limits). */
  GS_WORKER_CPU: z.coerce.number().positive().default(1),
  GS_WORKER_MEMORY_MB: positiveInt(1024),
  GS_WORKER_HEARTBEAT_MS: positiveInt(2_000),
  /** The program sandbox: heap of its thread (MB) and longest run (ms). */
  GS_PROGRAM_HEAP_MB: z.coerce.number().int().positive().optional(),
  GS_PROGRAM_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
};
