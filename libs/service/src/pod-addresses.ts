import { lookup } from 'node:dns/promises';

/**
 * gRPC addresses from a configured list: host:port as given, and dns:name:port for every address the
 * name resolves to (a headless Service: one per pod). A name that does not resolve gives none.
 */
export async function resolveAddresses(entries: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of entries) {
    const m = /^dns:(.+):(\d+)$/.exec(p);
    if (!m) {
      out.push(p);
      continue;
    }
    const all = await lookup(m[1]!, { all: true }).catch(() => []);
    for (const a of all) out.push(`${a.family === 6 ? `[${a.address}]` : a.address}:${m[2]}`);
  }
  return [...new Set(out)];
}
