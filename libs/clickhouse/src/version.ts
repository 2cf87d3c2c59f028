// Server-version detection and the settings that depend on it. Tests run against ClickHouse 18.16 (the
// Debian package); production runs current releases. Any setting an old server does not know is a hard
// error there, so every version-specific setting passes through this module.

export interface ServerVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

export function parseVersion(text: string): ServerVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!m) throw new Error(`unrecognised ClickHouse version "${text}"`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), text: text.trim() };
}

const atLeast = (v: ServerVersion, major: number, minor = 0) => v.major > major || (v.major === major && v.minor >= minor);

export interface Capabilities {
  /** `{name:Type}` placeholders with param_<name> (19.x and later). */
  queryParameters: boolean;
  /** async_insert / wait_for_async_insert (21.11+). */
  asyncInsert: boolean;
  /** insert_deduplication_token (22.2+). */
  insertDeduplicationToken: boolean;
  /** non_replicated_deduplication_window on plain MergeTree (21.x+). */
  nonReplicatedDeduplication: boolean;
  /** DateTime64 columns (20.1+). */
  dateTime64: boolean;
  /** LowCardinality needs allow_experimental_low_cardinality_type=1 at CREATE (before 19.x). */
  lowCardinalityNeedsFlag: boolean;
}

export function capabilitiesOf(v: ServerVersion): Capabilities {
  return {
    queryParameters: atLeast(v, 19, 15),
    asyncInsert: atLeast(v, 21, 11),
    insertDeduplicationToken: atLeast(v, 22, 2),
    nonReplicatedDeduplication: atLeast(v, 21, 1),
    dateTime64: atLeast(v, 20, 1),
    lowCardinalityNeedsFlag: !atLeast(v, 19, 0),
  };
}

export type AsyncInsertMode = 'on' | 'off' | 'server-default';

/**
 * Settings for a batch INSERT. async_insert is set explicitly on servers that know it, because newer
 * releases turn it on by default and a batch writer that already batches wants synchronous inserts
 * (the acknowledgement must mean "stored" before Kafka offsets are committed).
 */
export function insertSettings(caps: Capabilities, mode: AsyncInsertMode, dedupToken?: string): Record<string, string | number> {
  const s: Record<string, string | number> = {};
  if (caps.asyncInsert && mode !== 'server-default') {
    s['async_insert'] = mode === 'on' ? 1 : 0;
    if (mode === 'on') s['wait_for_async_insert'] = 1;
  }
  if (caps.insertDeduplicationToken && dedupToken !== undefined) s['insert_deduplication_token'] = dedupToken;
  return s;
}
