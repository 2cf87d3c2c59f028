// The supply topology: substation -> feeder -> transformer area -> meter box -> meter, and the
// communication side: terminal -> measurement point (pn) -> meter. A snapshot is loaded whole (the
// source of truth is ClickHouse, see clickhouse-topology.ts) and checked before anyone uses it: a
// meter under a missing box or a box under a feeder would silently mislocate every outage below it.

export type ElementLevel = 'substation' | 'feeder' | 'area' | 'box';

/** Parent level of each level; substations have none. */
export const PARENT_LEVEL: Record<ElementLevel, ElementLevel | undefined> = { box: 'area', area: 'feeder', feeder: 'substation', substation: undefined };

export interface TopologyElement {
  id: string;
  level: ElementLevel;
  /** Id of the element one level up; empty for substations. */
  parent: string;
  name?: string;
  /** Rated capacity (transformer areas), kVA. */
  capacityKva?: number;
}

export interface TopologyMeter {
  meterId: string;
  box: string;
  terminal: string;
  pn: number;
  /** Phase a single-phase meter is connected to; empty for three-phase meters. */
  phase?: string;
}

export interface TopologySnapshot {
  /** Increases with every load; 0 = never loaded. */
  version: number;
  elements: TopologyElement[];
  meters: TopologyMeter[];
}

export class TopologyError extends Error {
  constructor(readonly problems: string[]) {
    super(`topology rejected: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
    this.name = 'TopologyError';
  }
}

export interface MeterPath {
  meterId: string;
  box: string;
  area: string;
  feeder: string;
  substation: string;
  terminal: string;
  pn: number;
}

export class Topology {
  readonly version: number;
  private readonly elements = new Map<string, TopologyElement>();
  private readonly meters = new Map<string, MeterPath>();
  private readonly childIds = new Map<string, string[]>();
  private readonly meterCounts = new Map<string, number>();
  private readonly byTerminal = new Map<string, string[]>();
  private readonly byTerminalPn = new Map<string, string>();

  constructor(snapshot: TopologySnapshot) {
    this.version = snapshot.version;
    const problems: string[] = [];
    for (const e of snapshot.elements) {
      if (this.elements.has(e.id)) problems.push(`element ${e.id} listed twice`);
      this.elements.set(e.id, e);
    }
    for (const e of snapshot.elements) {
      const want = PARENT_LEVEL[e.level];
      if (!want) {
        if (e.parent) problems.push(`substation ${e.id} has a parent`);
        continue;
      }
      const p = this.elements.get(e.parent);
      if (!p) problems.push(`${e.level} ${e.id}: parent ${e.parent || '(none)'} not found`);
      else if (p.level !== want) problems.push(`${e.level} ${e.id}: parent ${e.parent} is a ${p.level}, expected a ${want}`);
      else this.push(this.childIds, e.parent, e.id);
    }
    for (const m of snapshot.meters) {
      if (this.meters.has(m.meterId)) problems.push(`meter ${m.meterId} listed twice`);
      const box = this.elements.get(m.box);
      if (!box || box.level !== 'box') {
        problems.push(`meter ${m.meterId}: box ${m.box} not found`);
        continue;
      }
      const area = this.elements.get(box.parent);
      const feeder = area && this.elements.get(area.parent);
      const substation = feeder && this.elements.get(feeder.parent);
      if (!area || !feeder || !substation) continue; // already reported above
      const tp = `${m.terminal}#${m.pn}`;
      if (m.terminal && this.byTerminalPn.has(tp)) problems.push(`meter ${m.meterId}: terminal ${m.terminal} pn ${m.pn} already taken by ${this.byTerminalPn.get(tp)}`);
      this.meters.set(m.meterId, { meterId: m.meterId, box: box.id, area: area.id, feeder: feeder.id, substation: substation.id, terminal: m.terminal, pn: m.pn });
      this.push(this.childIds, box.id, m.meterId);
      if (m.terminal) {
        this.push(this.byTerminal, m.terminal, m.meterId);
        this.byTerminalPn.set(tp, m.meterId);
      }
      for (const id of [box.id, area.id, feeder.id, substation.id]) this.meterCounts.set(id, (this.meterCounts.get(id) ?? 0) + 1);
    }
    if (problems.length > 0) throw new TopologyError(problems);
  }

  private push(map: Map<string, string[]>, key: string, value: string): void {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  }

  static empty(): Topology {
    return new Topology({ version: 0, elements: [], meters: [] });
  }

  get size(): { elements: number; meters: number } {
    return { elements: this.elements.size, meters: this.meters.size };
  }

  element(id: string): TopologyElement | undefined {
    return this.elements.get(id);
  }

  /** Where a meter sits, or undefined for a meter the topology does not know. */
  meter(meterId: string): MeterPath | undefined {
    return this.meters.get(meterId);
  }

  /** Child elements, or for a meter box its meters. */
  children(id: string): readonly string[] {
    return this.childIds.get(id) ?? [];
  }

  /** Meters below an element (1 for a meter). */
  meterCount(id: string): number {
    return this.meters.has(id) ? 1 : (this.meterCounts.get(id) ?? 0);
  }

  metersUnder(id: string): string[] {
    if (this.meters.has(id)) return [id];
    const e = this.elements.get(id);
    if (!e) return [];
    if (e.level === 'box') return [...this.children(id)];
    return this.children(id).flatMap((c) => this.metersUnder(c));
  }

  metersOfTerminal(terminal: string): readonly string[] {
    return this.byTerminal.get(terminal) ?? [];
  }

  meterAt(terminal: string, pn: number): string | undefined {
    return this.byTerminalPn.get(`${terminal}#${pn}`);
  }

  /** Parent chain of an element or meter, nearest first (a meter: box, area, feeder, substation). */
  ancestors(id: string): string[] {
    const m = this.meters.get(id);
    if (m) return [m.box, m.area, m.feeder, m.substation];
    const out: string[] = [];
    for (let e = this.elements.get(id); e?.parent; e = this.elements.get(e.parent)) out.push(e.parent);
    return out;
  }

  /** The element of `level` above (or at) an element or meter. */
  ancestorAt(id: string, level: ElementLevel): string | undefined {
    const e = this.elements.get(id);
    if (e?.level === level) return id;
    return this.ancestors(id).find((a) => this.elements.get(a)?.level === level);
  }

  *allElements(): Iterable<TopologyElement> {
    yield* this.elements.values();
  }

  *allMeters(): Iterable<MeterPath> {
    yield* this.meters.values();
  }
}
