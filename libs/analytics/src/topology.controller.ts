import { Controller, Inject } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { TOPOLOGY, type ElementLevel, type Topology, type TopologyProvider } from '@gridstation/archive';
import { ElementKind, type GetTopologyRequest, type GetTopologyResponse, type TopologyNode } from '@gridstation/contracts';
import { invalidArgument, notFound } from '@gridstation/errors';

const KIND_OF: Record<ElementLevel, ElementKind> = {
  substation: ElementKind.ELEMENT_KIND_SUBSTATION,
  feeder: ElementKind.ELEMENT_KIND_FEEDER,
  area: ElementKind.ELEMENT_KIND_TRANSFORMER_AREA,
  box: ElementKind.ELEMENT_KIND_METER_BOX,
};
const DEPTH: Record<ElementLevel, number> = { substation: 0, feeder: 1, area: 2, box: 3 };
const LEVEL_OF = new Map<ElementKind, ElementLevel>(Object.entries(KIND_OF).map(([l, k]) => [k, l as ElementLevel]));
const MAX_LIMIT = 50_000;

/** Elements under `root` (every substation when empty) down to `downTo`, parents first, breadth by breadth. */
export function topologyNodes(t: Topology, rootId: string, downTo: ElementLevel, limit: number): { nodes: TopologyNode[]; truncated: boolean } {
  const node = (id: string): TopologyNode => {
    const e = t.element(id)!;
    const terminals = e.level === 'area' || e.level === 'box' ? [...new Set(t.metersUnder(id).map((m) => t.meter(m)!.terminal).filter(Boolean))].slice(0, 20) : [];
    return { id, kind: KIND_OF[e.level], parentId: e.parent, name: e.name ?? '', meterCount: t.meterCount(id), capacityKva: e.capacityKva ?? 0, terminals };
  };
  let level = rootId ? [rootId] : [...t.allElements()].filter((e) => e.level === 'substation').map((e) => e.id);
  const nodes: TopologyNode[] = [];
  while (level.length > 0) {
    const next: string[] = [];
    for (const id of level) {
      if (nodes.length >= limit) return { nodes, truncated: true };
      nodes.push(node(id));
      const e = t.element(id)!;
      if (DEPTH[e.level] < DEPTH[downTo]) next.push(...t.children(id));
    }
    level = next;
  }
  return { nodes, truncated: false };
}

@Controller()
export class TopologyController {
  constructor(@Inject(TOPOLOGY) private readonly topology: TopologyProvider) {}

  @GrpcMethod('TopologyService', 'GetTopology')
  getTopology(req: GetTopologyRequest): GetTopologyResponse {
    const t = this.topology.current();
    const downTo = req.downTo ? LEVEL_OF.get(req.downTo) : 'area';
    if (!downTo) throw invalidArgument('BAD_LEVEL', `down_to must be a substation, feeder, transformer area or meter box (not ${ElementKind[req.downTo] ?? req.downTo})`);
    if (req.rootId && !t.element(req.rootId)) throw notFound('ELEMENT_NOT_FOUND', `element ${req.rootId} is not in topology version ${t.version}`);
    if (req.rootId && DEPTH[t.element(req.rootId)!.level] > DEPTH[downTo]) throw invalidArgument('BAD_LEVEL', `${req.rootId} is below the level asked for`);
    const { nodes, truncated } = topologyNodes(t, req.rootId, downTo, Math.min(req.limit || 5000, MAX_LIMIT));
    return { version: t.version, nodes, truncated };
  }
}
