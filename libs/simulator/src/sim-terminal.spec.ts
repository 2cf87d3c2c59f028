import { QualityFlag } from '@gridstation/contracts';
import { normalizeFrame, qgdw1376 } from '@gridstation/protocols';
import { asActiveReport, deviceTime, QUARTER_MS } from './sim-terminal';
import { GroundTruth } from './truth';
import { loadShape, MeterModel, tariffAt } from './load-model';

describe('load model', () => {
  it('has a night trough and evening peak, and time-of-use tariffs cover the day', () => {
    expect(loadShape(4)).toBeLessThan(0.4);
    expect(loadShape(19.5)).toBeGreaterThan(0.9);
    const seen = new Set(Array.from({ length: 24 }, (_, h) => tariffAt(h)));
    expect([...seen].sort()).toEqual([1, 2, 3, 4]);
  });

  it('produces plausible three-phase values within the wire formats and energy that never decreases', () => {
    const m = new MeterModel(42);
    let last = 0;
    for (let k = 0; k < 96; k++) {
      const at = Date.UTC(2026, 10, 1) + k * QUARTER_MS;
      const s = m.snapshot(at);
      for (const u of s.u) {
        expect(u).toBeGreaterThan(210);
        expect(u).toBeLessThan(230);
      }
      expect(s.pTotal).toBeLessThan(80); // A.9 holds +-79.9999
      expect(s.pfTotal).toBeGreaterThan(84);
      const e = m.registers(at).activeImport[0]!;
      expect(e).toBeGreaterThanOrEqual(last);
      last = e;
    }
  });
});

describe('simulated frames', () => {
  it('an active report is C = C4H with CON set and still decodes to the same data', () => {
    const address = { region: '4101', terminal: 7, master: 0, group: false };
    const t = deviceTime(Date.UTC(2026, 10, 1, 2, 15), 480);
    expect(t).toMatchObject({ year: 2026, month: 11, day: 1, hour: 10, minute: 15 });
    const response = qgdw1376.encodeClass1Response(address, 1, [{ pn: 1, fn: 129, values: [t, 1, 10.5, 5.25] }]);
    if (!response.ok) throw new Error(response.error.message);
    const report = asActiveReport(response.value, 5);
    const f = qgdw1376.decodeQgdwFrame(report);
    if (!f.ok) throw new Error(f.error.message);
    expect(f.value.control).toMatchObject({ up: true, prm: true, fn: 4 });
    expect(f.value.seq).toMatchObject({ con: true, seq: 5 });
    const n = normalizeFrame('qgdw1376', report, { receivedAtMs: 0, tzOffsetMinutes: 480, source: { frameId: 'x', topic: '', partition: 0, offset: 0, indexInBatch: 0 } });
    if (!n.ok) throw new Error(n.error.message);
    expect(n.value.readings.map((r) => [r.quantity, r.tariff, r.value, r.dataTimeMs, r.quality & QualityFlag.QUALITY_FLAG_DEVICE_INVALID])).toEqual([
      ['energy.active.import', 0, 10.5, Date.UTC(2026, 10, 1, 2, 15), 0],
      ['energy.active.import', 1, 5.25, Date.UTC(2026, 10, 1, 2, 15), 0],
    ]);
  });

  it('ground truth keeps one value per identity and refuses a contradiction', () => {
    const g = new GroundTruth();
    const r = { meterId: 'm', quantity: 'voltage.a', tariff: 0, dataTimeMs: 1, value: 220.1 };
    g.add(r);
    g.add({ ...r });
    expect(g.readings.size).toBe(1);
    expect(g.repeats).toBe(1);
    expect(() => g.add({ ...r, value: 220.2 })).toThrow(/simulator bug/);
  });

  it('a counting truth (load runs) counts every reading sent, repeats included, and keeps none', () => {
    const g = new GroundTruth(false);
    const r = { meterId: 'm', quantity: 'voltage.a', tariff: 0, dataTimeMs: 1, value: 220.1 };
    g.add(r);
    g.add({ ...r });
    g.add({ ...r, dataTimeMs: 2 });
    expect(g.sent).toBe(3);
    expect(g.readings.size).toBe(0);
  });
});

import { diffWithTruth, isExact } from './verify';

describe('diffWithTruth', () => {
  it('reports missing, unexpected, duplicated and wrong values', () => {
    const g = new GroundTruth();
    const r = (quantity: string, value: number) => ({ meterId: 'm', quantity, tariff: 0, dataTimeMs: 1, value });
    g.add(r('a', 1));
    g.add(r('b', 2));
    g.add(r('c', 3));
    expect(isExact(diffWithTruth(g, [r('a', 1), r('b', 2), r('c', 3)]))).toBe(true);
    const d = diffWithTruth(g, [r('a', 1), r('a', 1), r('b', 2.5), r('x', 0)]);
    expect(d.missing).toEqual(['m|c|0|1']);
    expect(d.unexpected).toEqual(['m|x|0|1']);
    expect(d.duplicated).toEqual(['m|a|0|1']);
    expect(d.wrong).toEqual([{ key: 'm|b|0|1', expected: 2, stored: 2.5 }]);
    expect(isExact(d)).toBe(false);
  });
});

import { createServer, type Socket as NetSocket } from 'node:net';
import { createQgdwDeframer } from '@gridstation/protocols';
import { SimTerminal } from './sim-terminal';

describe('a simulated terminal over TCP: lost reports, an outage of its channel, and reads of what it holds', () => {
  it('keeps measuring while offline and answers AFN 0DH reads from its curve memory; denies what it does not hold', async () => {
    const frames: qgdw1376.QgdwFrame[] = [];
    let peer: NetSocket | undefined;
    const server = createServer((sock) => {
      peer = sock;
      const d = createQgdwDeframer();
      sock.on('data', (chunk: Buffer) => {
        for (const ev of d.push(chunk)) {
          if (ev.type !== 'frame') continue;
          const f = qgdw1376.decodeQgdwFrame(Uint8Array.from(ev.bytes));
          if (!f.ok) continue;
          frames.push(f.value);
          if (f.value.afn === qgdw1376.AFN.linkCheck) {
            const c = qgdw1376.encodeConfirmAll(f.value);
            if (c.ok) sock.write(c.value);
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const start = Date.UTC(2026, 10, 30, 16); // local midnight
    const truth = new GroundTruth();
    const t = new SimTerminal({ host: '127.0.0.1', port, region: '4101', terminal: 9, meters: 2, startMs: start, tzOffsetMinutes: 480, heartbeatMs: 0, seed: 5, badFrameEvery: 0, eventEvery: 0, lostReportRate: 0.5 }, truth);
    try {
      expect(await t.connect()).toBe(true);
      for (let k = 0; k < 8; k++) t.reportRound();
      t.goOffline();
      for (let k = 0; k < 8; k++) expect(t.reportRound()).toBe(false);
      expect(await t.comeBack()).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      expect(t.stats.reportsLost).toBeGreaterThan(0);
      // The station never saw the second two hours, but the terminal holds them: read 16 points of pn 2.
      const before = frames.length;
      const req = qgdw1376.encodeClass2Request(t.address, 3, [{ pn: 2, fn: 81, start: deviceTime(start, 480), density: 1, points: 16 }, { pn: 1, fn: 81, start: deviceTime(start - 86_400_000, 480), density: 1, points: 4 }]);
      if (!req.ok) throw new Error(req.error.message);
      peer!.write(req.value);
      await new Promise((r) => setTimeout(r, 200));
      const answer = frames.slice(before).find((f) => f.afn === qgdw1376.AFN.class2)!;
      expect(answer.seq.seq).toBe(3);
      expect(answer.control.prm).toBe(false);
      const units = qgdw1376.decodeClass2(answer);
      if (!units.ok) throw new Error(units.error.message);
      const want = Array.from({ length: 16 }, (_, i) => truth.readings.get(`${t.meterId(2)}|power.active.total|0|${start + i * QUARTER_MS}`)?.value);
      expect(want.every((v) => v !== undefined)).toBe(true); // the truth holds the offline hours too
      expect(units.value.units[0]!.values).toEqual(want);
      expect(units.value.units[1]!.values).toEqual([null, null, null, null]); // the day before: not held
      // A read of nothing it holds is denied (AFN 00H F2).
      peer!.write((qgdw1376.encodeClass2Request(t.address, 4, [{ pn: 1, fn: 81, start: deviceTime(start + 86_400_000, 480), density: 1, points: 4 }]) as { ok: true; value: Uint8Array }).value);
      await new Promise((r) => setTimeout(r, 200));
      const deny = frames.find((f) => f.afn === qgdw1376.AFN.confirm && f.seq.seq === 4)!;
      expect(qgdw1376.decodeConfirm(deny)).toMatchObject({ ok: true, value: { kind: 'all-denied' } });
      expect(t.stats).toMatchObject({ frozenReadsAnswered: 1, frozenReadsDenied: 1 });
    } finally {
      await t.close();
      await new Promise((r) => server.close(r));
    }
  });
});
