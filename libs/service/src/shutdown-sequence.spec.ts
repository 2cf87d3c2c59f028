import { ShutdownSequence, STOP_ORDER } from './resources';

describe('the shutdown sequence of one application', () => {
  it('stops upstream stages first, a stage\'s workers together, and only once however many hooks ask', async () => {
    const seq = new ShutdownSequence();
    const log: string[] = [];
    const worker = (name: string, ms: number) => async () => {
      log.push(`${name} stopping`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name} stopped`);
    };
    seq.add(STOP_ORDER.storage, worker('storage', 5));
    seq.add(STOP_ORDER.control, worker('scheduler', 1));
    seq.add(STOP_ORDER.intake, worker('comm', 20));
    seq.add(STOP_ORDER.intake, worker('downlink', 1));
    seq.add(STOP_ORDER.processing, worker('parser', 5));
    // Nest calls every worker's hook; whichever comes first runs the whole sequence.
    await Promise.all([seq.run(), seq.run(), seq.run()]);
    expect(log).toEqual(['comm stopping', 'downlink stopping', 'downlink stopped', 'comm stopped', 'parser stopping', 'parser stopped', 'storage stopping', 'storage stopped', 'scheduler stopping', 'scheduler stopped']);
  });
});
