import { readFileSync } from 'node:fs';
import { httpGet } from '@gridstation/testing';

// What the benchmark reads from the running system: the services' Prometheus metrics, and CPU time and
// resident memory of any process from /proc (Linux).

/** One scrape: `name{labels}` -> value. */
export type Scrape = Map<string, number>;

export async function scrape(httpPort: number): Promise<Scrape> {
  const res = await httpGet(httpPort, '/metrics');
  if (res.status !== 200) throw new Error(`/metrics on port ${httpPort} answered ${res.status}`);
  return parseProm(res.body);
}

export function parseProm(text: string): Scrape {
  const out: Scrape = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) out.set(line.slice(0, space), value);
  }
  return out;
}

const nameOf = (key: string) => {
  const brace = key.indexOf('{');
  return brace < 0 ? key : key.slice(0, brace);
};

/** Sum of a metric over all its label sets whose labels contain every `match` string. */
export function total(s: Scrape | undefined, name: string, ...match: string[]): number {
  let n = 0;
  for (const [k, v] of s ?? []) if (nameOf(k) === name && match.every((m) => k.includes(m))) n += v;
  return n;
}

/** Cumulative bucket counts of a histogram (summed over label sets), by upper bound. */
function buckets(s: Scrape | undefined, name: string, match: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of s ?? []) {
    if (nameOf(k) !== `${name}_bucket` || !match.every((m) => k.includes(m))) continue;
    const le = /[{,]le="([^"]+)"/.exec(k)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    out.set(bound, (out.get(bound) ?? 0) + v);
  }
  return out;
}

export interface Quantiles {
  count: number;
  p50: number;
  p99: number;
  /** Upper bound of the highest bucket that received a value (the histogram holds no exact maximum). */
  maxBound: number;
}

/** Quantiles (in the histogram's unit) of the values recorded between two scrapes, linear within a bucket. */
export function quantiles(before: Scrape | undefined, after: Scrape, name: string, ...match: string[]): Quantiles | undefined {
  const a = buckets(after, name, match);
  const b = buckets(before, name, match);
  const bounds = [...a.keys()].sort((x, y) => x - y);
  const cum = bounds.map((k) => (a.get(k) ?? 0) - (b.get(k) ?? 0));
  const count = cum.at(-1) ?? 0;
  if (count <= 0) return undefined;
  const at = (q: number): number => {
    const rank = q * count;
    for (let i = 0; i < bounds.length; i++) {
      if (cum[i]! >= rank) {
        const lo = i === 0 ? 0 : bounds[i - 1]!;
        const hi = bounds[i]!;
        if (!Number.isFinite(hi)) return lo;
        const below = i === 0 ? 0 : cum[i - 1]!;
        const inBucket = cum[i]! - below;
        return inBucket === 0 ? hi : lo + ((hi - lo) * (rank - below)) / inBucket;
      }
    }
    return bounds.at(-2) ?? 0;
  };
  let maxBound = 0;
  for (let i = 0; i < bounds.length; i++) if (cum[i]! > (i === 0 ? 0 : cum[i - 1]!)) maxBound = bounds[i]!;
  return { count, p50: at(0.5), p99: at(0.99), maxBound };
}

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system, this process only) and resident memory; undefined when the process is gone. */
export function procSample(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based) -> indexes 11 and 12 here.
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return { cpuSeconds, rssBytes: Number(rss ?? 0) * 1024 };
  } catch {
    return undefined;
  }
}

/** Watches a set of named processes: CPU share (100% = one core) and peak memory between start() and stop(). */
export class ProcWatch {
  private first = new Map<string, ProcSample>();
  private peak = new Map<string, number>();
  private last = new Map<string, ProcSample>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private stoppedAt = 0;

  constructor(private readonly pids: () => Record<string, number>) {}

  start(): void {
    this.first.clear();
    this.peak.clear();
    this.startedAt = performance.now();
    this.sample(this.first);
    this.timer = setInterval(() => this.sample(), 500);
  }

  stop(): Record<string, { cpuPercent: number; peakRssMiB: number }> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    this.stoppedAt = performance.now();
    const secs = (this.stoppedAt - this.startedAt) / 1000;
    const out: Record<string, { cpuPercent: number; peakRssMiB: number }> = {};
    for (const [name, a] of this.first) {
      const b = this.last.get(name);
      if (!b) continue;
      out[name] = { cpuPercent: Math.round(((b.cpuSeconds - a.cpuSeconds) / secs) * 1000) / 10, peakRssMiB: Math.round((this.peak.get(name) ?? b.rssBytes) / 1048576) };
    }
    return out;
  }

  private sample(into?: Map<string, ProcSample>): void {
    for (const [name, pid] of Object.entries(this.pids())) {
      const s = pid === process.pid ? { cpuSeconds: cpuOfSelf(), rssBytes: process.memoryUsage().rss } : procSample(pid);
      if (!s) continue;
      into?.set(name, s);
      this.last.set(name, s);
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, s.rssBytes));
    }
  }
}

function cpuOfSelf(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The infrastructure's processes, from the pid files tools/infra writes. */
export function infraPids(infraDir: string): Record<string, number> {
  const out: Record<string, number> = {};
  const files: Record<string, string> = { kafka: 'kafka/kafka.pid', clickhouse: 'clickhouse/clickhouse.pid', 'hbase (master+rs)': 'hbase/master.pid', 'hbase thrift': 'hbase/thrift.pid', redis: 'redis/redis.pid' };
  for (const [name, file] of Object.entries(files)) {
    try {
      const pid = Number(readFileSync(`${infraDir}/${file}`, 'utf8').trim());
      if (pid > 0 && procSample(pid)) out[name] = pid;
    } catch {
      // not running
    }
  }
  return out;
}
