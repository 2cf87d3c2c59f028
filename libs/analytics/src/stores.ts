import { join } from 'node:path';
import type { Redis } from '@gridstation/cache';
import { applyMigrations, inList, loadMigrations, sql, SqlFragment, type ClickHouseHandle } from '@gridstation/clickhouse';
import { Alert, type AlertFilter } from '@gridstation/contracts';
import type { FeederState } from './outage-engine';
import { matches, type AlertStore, type FeederStateStore } from './ports';

export const ANALYTICS_MIGRATIONS_DIR = join(__dirname, 'migrations');

// Redis layout (prefix per deployment, default gs:outage:gs-analytics): <prefix>:f:<feeder> = JSON
// FeederState; <prefix>:pending = sorted set feeder -> due time.
export class RedisFeederStateStore implements FeederStateStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'gs:outage',
  ) {}

  async load(feeders: readonly string[]): Promise<Map<string, FeederState>> {
    const out = new Map<string, FeederState>();
    if (feeders.length === 0) return out;
    const values = await this.redis.mget(...feeders.map((f) => `${this.prefix}:f:${f}`));
    values.forEach((v, i) => v && out.set(feeders[i]!, JSON.parse(v) as FeederState));
    return out;
  }

  async save(states: readonly FeederState[]): Promise<void> {
    if (states.length === 0) return;
    await this.redis.mset(...states.flatMap((s) => [`${this.prefix}:f:${s.feeder}`, JSON.stringify(s)]));
  }

  async pending(): Promise<Map<string, number>> {
    const flat = await this.redis.zrange(`${this.prefix}:pending`, 0, -1, 'WITHSCORES');
    const out = new Map<string, number>();
    for (let i = 0; i < flat.length; i += 2) out.set(flat[i]!, Number(flat[i + 1]));
    return out;
  }

  async markPending(feeder: string, dueAt: number): Promise<void> {
    if (dueAt > 0) await this.redis.zadd(`${this.prefix}:pending`, dueAt, feeder);
    else await this.redis.zrem(`${this.prefix}:pending`, feeder);
  }

  async healthCheck(): Promise<void> {
    await this.redis.ping();
  }
}

const MAX_LIMIT = 1000;

export class ClickHouseAlertStore implements AlertStore {
  /** `ch.handle` is read at each call, so a managed client that is started later can be passed in. */
  constructor(private readonly ch: { readonly handle: ClickHouseHandle }) {}

  async migrate(): Promise<void> {
    await applyMigrations(this.ch.handle.client, loadMigrations(ANALYTICS_MIGRATIONS_DIR), this.ch.handle.caps);
  }

  async insert(alerts: readonly Alert[]): Promise<void> {
    if (alerts.length === 0) return;
    await this.ch.handle.client.insert({
      table: 'alerts',
      format: 'JSONEachRow',
      values: alerts.map((a) => ({
        alert_id: a.alertId,
        revision: a.revision,
        kind: a.kind,
        state: a.state,
        element_kind: a.elementKind,
        element_id: a.elementId,
        transformer_area_id: a.transformerAreaId,
        feeder_id: a.feederId,
        substation_id: a.substationId,
        affected_meter_count: a.affectedMeterCount,
        first_evidence_at_ms: a.firstEvidenceAtMs,
        decisive_evidence_ingested_at_ms: a.decisiveEvidenceIngestedAtMs,
        detected_at_ms: a.detectedAtMs,
        cleared_at_ms: a.clearedAtMs,
        confidence: a.confidence,
        payload: Buffer.from(Alert.encode(a).finish()).toString('base64'),
      })),
    });
  }

  async query(q: { fromMs: number; toMs: number; filter: AlertFilter | undefined; limit: number }): Promise<Alert[]> {
    const limit = Math.min(Math.max(q.limit || 100, 1), MAX_LIMIT);
    const f = q.filter;
    const where = [sql`detected_at_ms >= ${q.fromMs}`, sql`detected_at_ms < ${q.toMs || Date.now() + 1}`];
    if (f && f.kinds.length > 0) where.push(sql`kind IN ${inList(f.kinds)}`);
    if (f && f.elementIds.length > 0) {
      const ids = inList(f.elementIds);
      where.push(sql`(element_id IN ${ids} OR transformer_area_id IN ${ids} OR feeder_id IN ${ids} OR substation_id IN ${ids})`);
    }
    // Newest revision per alert; filters that depend on the revision apply after choosing it.
    const rs = await this.ch.handle.client.query({
      query: sql`SELECT argMax(payload, revision) AS payload FROM alerts WHERE alert_id IN (SELECT alert_id FROM alerts WHERE ${new SqlFragment(where.join(' AND '))}) GROUP BY alert_id ORDER BY max(detected_at_ms) DESC LIMIT ${limit * 2}`,
      format: 'JSONEachRow',
    });
    const rows = await rs.json<{ payload: string }>();
    return rows
      .map((r) => Alert.decode(Buffer.from(r.payload, 'base64')))
      .filter((a) => matches(a, f))
      .slice(0, limit);
  }

  async healthCheck(): Promise<void> {
    await this.ch.handle.client.ping();
  }
}

/**
 * Outage state in this process only (the embedded station: one instance owns every feeder). A restart
 * starts from no state; evidence that arrives afterwards opens the alerts again.
 */
export class MemoryFeederStateStore implements FeederStateStore {
  private readonly states = new Map<string, string>();
  private readonly due = new Map<string, number>();

  async load(feeders: readonly string[]): Promise<Map<string, FeederState>> {
    const out = new Map<string, FeederState>();
    for (const f of feeders) {
      const s = this.states.get(f);
      if (s) out.set(f, JSON.parse(s) as FeederState); // a copy, as from Redis: callers change what they load
    }
    return out;
  }

  async save(states: readonly FeederState[]): Promise<void> {
    for (const s of states) this.states.set(s.feeder, JSON.stringify(s));
  }

  async pending(): Promise<Map<string, number>> {
    return new Map(this.due);
  }

  async markPending(feeder: string, dueAt: number): Promise<void> {
    if (dueAt > 0) this.due.set(feeder, dueAt);
    else this.due.delete(feeder);
  }

  async healthCheck(): Promise<void> {
    // nothing to open, check or close: it lives in this process
  }
}

/** The newest revision of the latest `capacity` alerts, in memory (the embedded station). */
export class MemoryAlertStore implements AlertStore {
  private readonly alerts = new Map<string, Alert>();

  constructor(private readonly capacity = 10_000) {}

  async migrate(): Promise<void> {
    // nothing to open, check or close: it lives in this process
  }

  async insert(alerts: readonly Alert[]): Promise<void> {
    for (const a of alerts) {
      const held = this.alerts.get(a.alertId);
      if (held && held.revision >= a.revision) continue;
      this.alerts.delete(a.alertId); // re-inserted: the map's order is the order of last change
      this.alerts.set(a.alertId, a);
    }
    for (const id of this.alerts.keys()) {
      if (this.alerts.size <= this.capacity) break;
      this.alerts.delete(id);
    }
  }

  async query(q: { fromMs: number; toMs: number; filter: AlertFilter | undefined; limit: number }): Promise<Alert[]> {
    const limit = Math.min(Math.max(q.limit || 100, 1), MAX_LIMIT);
    const to = q.toMs || Date.now() + 1;
    // The time range applies to any revision's detection; only the newest is kept, so to its first one.
    return [...this.alerts.values()]
      .filter((a) => a.detectedAtMs < to && Math.max(a.detectedAtMs, a.clearedAtMs) >= q.fromMs && matches(a, q.filter))
      .sort((a, b) => b.detectedAtMs - a.detectedAtMs)
      .slice(0, limit);
  }

  async healthCheck(): Promise<void> {
    // nothing to open, check or close: it lives in this process
  }
}
