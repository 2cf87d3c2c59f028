import { StaticTopology, Topology } from '@gridstation/archive';
import { ElementKind, GetTopologyRequest } from '@gridstation/contracts';
import { TopologyController, topologyNodes } from './topology.controller';

// Two substations; S1 has feeders F1 (areas A1, A2) and F2 (A3); S2 has F3 (A4). Each area has one
// box with two meters of one terminal.
function grid(): Topology {
  const elements = [
    { id: 'S1', level: 'substation' as const, parent: '', name: 'north' },
    { id: 'S2', level: 'substation' as const, parent: '' },
    { id: 'F1', level: 'feeder' as const, parent: 'S1' },
    { id: 'F2', level: 'feeder' as const, parent: 'S1' },
    { id: 'F3', level: 'feeder' as const, parent: 'S2' },
    ...[['A1', 'F1'], ['A2', 'F1'], ['A3', 'F2'], ['A4', 'F3']].flatMap(([a, f]) => [
      { id: a!, level: 'area' as const, parent: f!, capacityKva: 100 },
      { id: `B${a}`, level: 'box' as const, parent: a! },
    ]),
  ];
  const meters = ['A1', 'A2', 'A3', 'A4'].flatMap((a, i) => [1, 2].map((pn) => ({ meterId: `m${a}-${pn}`, box: `B${a}`, terminal: `4101-0000${i + 1}`, pn })));
  return new Topology({ version: 3, elements, meters });
}

describe('topology for user interfaces', () => {
  it('lists parents before children down to the transformer areas, with meter counts and the terminals of an area', () => {
    const { nodes, truncated } = topologyNodes(grid(), '', 'area', 100);
    expect(truncated).toBe(false);
    expect(nodes.map((n) => n.id)).toEqual(['S1', 'S2', 'F1', 'F2', 'F3', 'A1', 'A2', 'A3', 'A4']);
    expect(nodes[0]).toMatchObject({ kind: ElementKind.ELEMENT_KIND_SUBSTATION, parentId: '', name: 'north', meterCount: 6, terminals: [] });
    expect(nodes.find((n) => n.id === 'A3')).toMatchObject({ kind: ElementKind.ELEMENT_KIND_TRANSFORMER_AREA, parentId: 'F2', meterCount: 2, capacityKva: 100, terminals: ['4101-00003'] });
  });

  it('starts at a root, stops at the limit saying so, and refuses what it cannot answer', () => {
    expect(topologyNodes(grid(), 'F1', 'box', 100).nodes.map((n) => n.id)).toEqual(['F1', 'A1', 'A2', 'BA1', 'BA2']);
    expect(topologyNodes(grid(), '', 'area', 4)).toMatchObject({ truncated: true, nodes: [{ id: 'S1' }, { id: 'S2' }, { id: 'F1' }, { id: 'F2' }] });
    const held = new StaticTopology();
    held.load({ elements: [...grid().allElements()], meters: [...grid().allMeters()].map((m) => ({ meterId: m.meterId, box: m.box, terminal: m.terminal, pn: m.pn })) });
    const c = new TopologyController(held);
    expect(c.getTopology(GetTopologyRequest.fromPartial({ downTo: ElementKind.ELEMENT_KIND_FEEDER }))).toMatchObject({ version: 1, truncated: false, nodes: [{ id: 'S1' }, { id: 'S2' }, { id: 'F1' }, { id: 'F2' }, { id: 'F3' }] });
    expect(() => c.getTopology(GetTopologyRequest.fromPartial({ rootId: 'X9' }))).toThrow(/element X9 is not in topology version 1/);
    expect(() => c.getTopology(GetTopologyRequest.fromPartial({ downTo: ElementKind.ELEMENT_KIND_METER }))).toThrow(/down_to must be/);
    expect(() => c.getTopology(GetTopologyRequest.fromPartial({ rootId: 'BA1', downTo: ElementKind.ELEMENT_KIND_FEEDER }))).toThrow(/below the level asked for/);
  });
});
