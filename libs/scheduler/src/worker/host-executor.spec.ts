import { GsError } from '@gridstation/errors';
import { HostExecutor, PermanentProgramError } from './host-executor';

describe('host executor', () => {
  it('ends a run at its time limit even when the program ignores its signal', async () => {
    const x = new HostExecutor(new Map([['stuck@1', () => new Promise<never>(() => undefined)]]));
    const started = Date.now();
    const r = await x.run('stuck@1', {}, 50);
    expect(r).toMatchObject({ ok: false, code: 'TIMEOUT', permanent: false });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('marks bad input final and anything else retriable; runs only what it provides', async () => {
    const x = new HostExecutor(
      new Map<string, (i: unknown) => Promise<unknown>>([
        ['bad@1', async () => Promise.reject(new GsError('invalid-argument', 'BAD', 'no terminal'))],
        ['final@1', async () => Promise.reject(new PermanentProgramError('never'))],
        ['down@1', async () => Promise.reject(new Error('socket closed'))],
        ['ok@1', async (i) => ({ echo: i })],
      ]),
    );
    expect(await x.run('bad@1', {})).toMatchObject({ ok: false, code: 'PROGRAM_ERROR', permanent: true, reason: 'no terminal' });
    expect(await x.run('final@1', {})).toMatchObject({ ok: false, permanent: true });
    expect(await x.run('down@1', {})).toMatchObject({ ok: false, permanent: false });
    expect(await x.run('ok@1', 7)).toMatchObject({ ok: true, output: { echo: 7 } });
    expect(await x.run('other@1', {})).toMatchObject({ ok: false, code: 'PROGRAM_NOT_PROVIDED' });
    await expect(x.load('other@1')).rejects.toThrow(/provides only/);
  });
});
