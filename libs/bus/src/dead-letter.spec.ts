import { DeadLetter } from '@gridstation/contracts';
import { buildDeadLetter, MAX_REASON } from './dead-letter';

describe('dead letters', () => {
  it('cut a long reason (a dependency dumping its internals) and say how long it was', () => {
    const reason = `INTERNAL Error: ${'x'.repeat(10_000)}`;
    const m = buildDeadLetter({ code: 'PROCESSING_FAILED', reason, service: 'storage', key: 'k', payload: Buffer.from('abc') });
    const d = DeadLetter.decode(m.value as Uint8Array);
    expect(d.reason.length).toBeLessThan(MAX_REASON + 40);
    expect(d.reason.startsWith('INTERNAL Error: xxx')).toBe(true);
    expect(d.reason).toContain(`(${reason.length} characters)`);
    expect(Buffer.from(d.payload).toString()).toBe('abc');
  });

  it('keep a short reason as it is', () => {
    const m = buildDeadLetter({ code: 'DECODE_FAILED', reason: 'bad checksum', service: 'parser', key: null, payload: new Uint8Array(1) });
    expect(DeadLetter.decode(m.value as Uint8Array).reason).toBe('bad checksum');
  });
});
