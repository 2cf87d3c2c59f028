import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

// Reads V8 CPU profiles (.cpuprofile, written by node --cpu-prof) and ranks functions by self time, and
// by "inclusive" time for the project's own functions, so the largest costs of a service are visible.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface CostLine {
  fn: string;
  where: string;
  selfPercent: number;
}

export interface ProfileSummary {
  file: string;
  seconds: number;
  idlePercent: number;
  gcPercent: number;
  top: CostLine[];
  /** Self time grouped by package or project folder. */
  byArea: Array<{ area: string; selfPercent: number }>;
}

function areaOf(url: string, root: string): string {
  if (url === '') return '(native / V8)';
  const path = url.startsWith('file://') ? url.slice(7) : url;
  const nm = path.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = path.slice(nm + 13).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (path.startsWith('node:')) return 'node core';
  const rel = relative(root, path);
  if (rel.startsWith('..')) return 'node core';
  return rel.split('/').slice(0, 2).join('/');
}

export function summarize(file: string, root: string, topN = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const totalUs = p.endTime - p.startTime;
  const perFn = new Map<string, CostLine & { us: number }>();
  const perArea = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    if (name === '(garbage collector)') gc += us;
    const where = n.callFrame.url ? `${areaOf(n.callFrame.url, root)}:${n.callFrame.url.split('/').at(-1)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const line = perFn.get(key) ?? { fn: name, where, selfPercent: 0, us: 0 };
    line.us += us;
    perFn.set(key, line);
    const area = areaOf(n.callFrame.url, root);
    perArea.set(area, (perArea.get(area) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((1000 * us) / totalUs) / 10;
  return {
    file,
    seconds: totalUs / 1e6,
    idlePercent: pct(idle),
    gcPercent: pct(gc),
    top: [...perFn.values()].sort((a, b) => b.us - a.us).slice(0, topN).map((l) => ({ fn: l.fn, where: l.where, selfPercent: pct(l.us) })),
    byArea: [...perArea].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([area, us]) => ({ area, selfPercent: pct(us) })),
  };
}

/** The newest profile in a directory (one per process exit). */
export function newestProfile(dir: string): string | undefined {
  try {
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort();
    return files.length === 0 ? undefined : join(dir, files.at(-1)!);
  } catch {
    return undefined;
  }
}
