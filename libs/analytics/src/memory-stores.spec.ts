import { Alert, AlertFilter, AlertKind, AlertState } from '@gridstation/contracts';
import { MemoryAlertStore, MemoryFeederStateStore } from './stores';
import { newFeederState } from './outage-engine';

const alert = (id: string, revision: number, detectedAtMs: number, state = AlertState.ALERT_STATE_OPEN) => Alert.fromPartial({ alertId: id, revision, detectedAtMs, state, kind: AlertKind.ALERT_KIND_OUTAGE, elementId: `A-${id}`, confidence: 1 });

describe('in-memory analytics stores (embedded station)', () => {
  it('keeps the newest revision of each alert, newest first, within its capacity', async () => {
    const s = new MemoryAlertStore(2);
    await s.insert([alert('a', 1, 100), alert('b', 1, 200)]);
    await s.insert([alert('a', 3, 300, AlertState.ALERT_STATE_CLEARED), alert('a', 2, 250)]); // a late revision 2 changes nothing
    expect((await s.query({ fromMs: 0, toMs: 0, filter: undefined, limit: 10 })).map((a) => [a.alertId, a.revision])).toEqual([['a', 3], ['b', 1]]);
    expect(await s.query({ fromMs: 0, toMs: 0, filter: AlertFilter.fromPartial({ excludeCleared: true }), limit: 10 })).toHaveLength(1);
    await s.insert([alert('c', 1, 400)]); // over capacity: the alert changed longest ago goes
    expect((await s.query({ fromMs: 0, toMs: 0, filter: undefined, limit: 10 })).map((a) => a.alertId)).toEqual(['c', 'a']);
    expect((await s.query({ fromMs: 350, toMs: 0, filter: undefined, limit: 10 })).map((a) => a.alertId)).toEqual(['c']);
  });

  it('hands out copies of feeder state, and tracks pending decisions', async () => {
    const s = new MemoryFeederStateStore();
    const f = newFeederState('F1');
    await s.save([f]);
    const loaded = (await s.load(['F1', 'F2'])).get('F1')!;
    expect(loaded).toEqual(f);
    loaded.seen.push('x');
    expect((await s.load(['F1'])).get('F1')!.seen).toEqual([]);
    await s.markPending('F1', 500);
    expect([...(await s.pending())]).toEqual([['F1', 500]]);
    await s.markPending('F1', 0);
    expect((await s.pending()).size).toBe(0);
  });
});
