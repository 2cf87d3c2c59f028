import { Topology } from '@gridstation/archive';

/** The smallest grid: one substation, feeder F, area A, box B, and one meter in it. */
export function oneMeterTopology(meterId: string, terminal: string): Topology {
  return new Topology({
    version: 1,
    elements: [
      { id: 'S', level: 'substation', parent: '' },
      { id: 'F', level: 'feeder', parent: 'S' },
      { id: 'A', level: 'area', parent: 'F' },
      { id: 'B', level: 'box', parent: 'A' },
    ],
    meters: [{ meterId, box: 'B', terminal, pn: 1 }],
  });
}
