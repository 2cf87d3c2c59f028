import { decodeDlt645Frame, interpretDlt645 } from './frame';
import { normalizeFrame } from '../normalize';
import { must } from '../../test/bytes';

// DL/T 645-2007 replies laid out by hand: 68 | address (6, low byte first) | 68 | C = 91H | L | data
// with 33H added to every byte | CS (sum from the first 68H) | 16. Values are BCD, low byte first.
function reply(address: string, data: number[]): Uint8Array {
  const a = address.match(/../g)!.map((x) => parseInt(x, 16)).reverse();
  const head = [0x68, ...a, 0x68, 0x91, data.length, ...data.map((b) => (b + 0x33) & 0xff)];
  return Uint8Array.from([...head, head.reduce((s, b) => (s + b) & 0xff, 0), 0x16]);
}
const di = (s: string) => s.match(/../g)!.map((x) => parseInt(x, 16)).reverse();
const payload = (bytes: Uint8Array) => must(interpretDlt645(must(decodeDlt645Frame(bytes))));

describe('DL/T 645-2007 groups beyond energy and variables', () => {
  it('a load profile record (06000002, the latest): time, class 1 and class 4 recorded, the others empty', () => {
    // A0 A0 | n | 2026-12-02 15:15 (15 15 02 12 26) | class 1: Ua Ub Uc 220.1 221.0 219.9 V (XXX.X),
    // Ia Ib Ic 5.000 5.100 4.900 A (XXX.XXX), 50.00 Hz | AA | class 2, 3 empty: AA AA | class 4:
    // 1234.56, 0.00, 12.34, 5.67 kWh/kvarh (XXXXXX.XX) | AA | classes 5, 6 empty: AA AA | sum | E5
    const body = [0x15, 0x15, 0x02, 0x12, 0x26, 0x01, 0x22, 0x10, 0x22, 0x99, 0x21, 0x00, 0x50, 0x00, 0x00, 0x51, 0x00, 0x00, 0x49, 0x00, 0x00, 0x50, 0xaa, 0xaa, 0xaa, 0x56, 0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x34, 0x12, 0x00, 0x00, 0x67, 0x05, 0x00, 0x00, 0xaa, 0xaa, 0xaa];
    const record = [0xa0, 0xa0, body.length, ...body];
    const sum = record.reduce((s, b) => (s + b) & 0xff, 0);
    const bytes = reply('000000001001', [...di('06000002'), ...record, sum, 0xe5]);
    const p = payload(bytes);
    expect(p.item?.loadRecords).toBe(true);
    const at = { year: 2026, month: 12, day: 2, hour: 15, minute: 15, second: 0 };
    expect(p.fields!.map((f) => [f.quantity, f.value])).toEqual([
      ['voltage.a', 220.1],
      ['voltage.b', 221],
      ['voltage.c', 219.9],
      ['current.a', 5],
      ['current.b', 5.1],
      ['current.c', 4.9],
      ['frequency', 50],
      ['energy.active.import', 1234.56],
      ['energy.active.export', 0],
      ['energy.reactive.combined1', 12.34],
      ['energy.reactive.combined2', 5.67],
    ]);
    expect(p.fields!.map((f) => f.at && { year: f.at.year, month: f.at.month, day: f.at.day, hour: f.at.hour, minute: f.at.minute, second: f.at.second })).toEqual(p.fields!.map(() => at));
    // Normalised, the readings are dated by the record, not by their receipt.
    const n = must(normalizeFrame('dlt645', bytes, { receivedAtMs: 0, tzOffsetMinutes: 480, source: { frameId: 'x', topic: 't', partition: 0, offset: 0, indexInBatch: 0 } }));
    expect(new Set(n.readings.map((r) => r.dataTimeMs))).toEqual(new Set([Date.UTC(2026, 11, 2, 7, 15)]));
    // A wrong record sum is an error with its offset, not a misread.
    const bad = reply('000000001001', [...di('06000002'), ...record, (sum + 1) & 0xff, 0xe5]);
    expect(interpretDlt645(must(decodeDlt645Frame(bad)))).toMatchObject({ ok: false, error: { code: 'CHECKSUM' } });
  });

  it('a maximum demand block (0101FF00): value and time per tariff', () => {
    // total 1.2345 kW at 26-12-01 10:30, tariff 1 0.5000 kW at 26-12-01 09:15 (XX.XXXX + YYMMDDhhmm)
    const data = [...di('0101FF00'), 0x45, 0x23, 0x01, 0x30, 0x10, 0x01, 0x12, 0x26, 0x00, 0x50, 0x00, 0x15, 0x09, 0x01, 0x12, 0x26];
    const p = payload(reply('000000001001', data));
    expect(p.fields!.map((f) => [f.name, f.tariff, typeof f.value === 'object' && f.value ? `${f.value.hour}:${f.value.minute}` : f.value])).toEqual([
      ['value', 0, 1.2345],
      ['time', 0, '10:30'],
      ['value', 1, 0.5],
      ['time', 1, '9:15'],
    ]);
  });

  it('prepayment balances, meter constants and nameplate text', () => {
    expect(payload(reply('000000001001', [...di('00900200'), 0x50, 0x34, 0x12, 0x00])).fields).toEqual([expect.objectContaining({ quantity: 'prepayment.money.remaining', value: 1234.5 })]);
    expect(payload(reply('000000001001', [...di('04000409'), 0x00, 0x32, 0x00])).fields).toEqual([expect.objectContaining({ quantity: 'meter.constant.active', value: 3200 })]);
    // Rated voltage "3x220V": six ASCII bytes, the last character first on the wire.
    const text = [...'3x220V'].map((c) => c.charCodeAt(0)).reverse();
    expect(payload(reply('000000001001', [...di('04000404'), ...text])).fields).toEqual([expect.objectContaining({ name: 'value', value: '3x220V' })]);
  });

  it('event counts and records: phase break count on phase A, the last time set', () => {
    expect(payload(reply('000000001001', [...di('13010001'), 0x12, 0x00, 0x00])).fields).toEqual([expect.objectContaining({ quantity: 'events.phase_break.a.count', value: 12 })]);
    // operator 00 00 00 01, before 26-12-02 10:00:00, after 26-12-02 10:00:30 (ssmmhhDDMMYY)
    const p = payload(reply('000000001001', [...di('03300401'), 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x02, 0x12, 0x26, 0x30, 0x00, 0x10, 0x02, 0x12, 0x26]));
    expect(p.fields!.map((f) => f.name)).toEqual(['operator', 'before', 'after']);
    expect(p.fields![2]!.value).toMatchObject({ hour: 10, minute: 0, second: 30 });
  });
});
