import { ARCHIVE, type DeviceArchive } from '@gridstation/archive';
import { loadConfig, stationConfigSchema } from '@gridstation/config';
import { DownlinkServiceClient, ReadingBatch, ReadingQueryServiceClient, type GetCurveResponse, type ReadCurrentDataResponse } from '@gridstation/contracts';
import { HBASE, type WideColumnStore } from '@gridstation/hbase';
import { TerminalServer } from '@gridstation/ingest';
import { RawFramesConsumer } from '@gridstation/parsing';
import { decodeReadingRow, meterPrefix, METER_TABLE, READING_STORE, readingRange, type ReadingStore } from '@gridstation/persistence';
import { diffWithTruth, isExact, Simulator, DEFAULT_SIMULATOR, truthKey, type StoredValue } from '@gridstation/simulator';
import { BUS, OK, TOPICS, type MessageBus } from '@gridstation/bus';
import { startTelemetry } from '@gridstation/telemetry';
import { insecure, localServiceEnv, unary, waitFor } from '@gridstation/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bootstrap } from '../src/bootstrap';

// The collection scenario in embedded mode: the station (comm + parser + storage over the in-process
// bus, DuckDB + LevelDB on disk) fed by the simulator over real TCP; everything the simulator sent must
// be stored exactly once with its exact value in both stores, bad frames must be dead-lettered with a
// reason, an unknown terminal refused, and a downlink read answered.

describe('embedded station end to end', () => {
  const telemetry = startTelemetry({ service: 'station', instanceId: 'e2e', tracesExporter: 'none' });
  afterAll(() => telemetry.shutdown());

  it('stores every simulated reading exactly once in DuckDB and LevelDB, with provenance; dead-letters bad frames; answers a downlink read', async () => {
    const env = { ...(await localServiceEnv()), GS_SUMMARY_INTERVAL_MS: '0', GS_BATCH_DELAY_MS: '100' };
    const config = loadConfig('station', stationConfigSchema, env);
    const svc = await bootstrap(config, telemetry, false);
    const sim = new Simulator({
      ...DEFAULT_SIMULATOR,
      host: '127.0.0.1',
      port: svc.app.get(TerminalServer).port,
      terminals: 50,
      metersPerTerminal: 4,
      roundsPerSecond: 4,
      badFrameEvery: 10,
      eventEvery: 15,
      unknownTerminals: 1,
      heartbeatMs: 2000,
    });
    const query = new ReadingQueryServiceClient(svc.grpcAddress, insecure());
    const downlink = new DownlinkServiceClient(svc.grpcAddress, insecure());
    try {
      await svc.app.get<DeviceArchive>(ARCHIVE).put(sim.archive());
      // What analytics will consume: every validated reading, keyed by meter.
      const validated = new Set<string>();
      let misKeyed = 0;
      await svc.app.get<MessageBus>(BUS).subscribe({
        groupId: 'e2e-validated',
        topics: [TOPICS.readingsValidated],
        handler: async (batch) => {
          for (const m of batch.messages) {
            for (const r of ReadingBatch.decode(m.value).readings) {
              if (String(m.key) !== r.meterId || r.quality !== 0) misKeyed++;
              validated.add(truthKey(r));
            }
          }
          return OK;
        },
      });
      await sim.connect();
      expect(sim.stats()).toMatchObject({ loggedIn: 50, refused: 1 });
      await sim.run(20);

      const target = sim.terminals[3]!;
      const read = await unary<unknown, ReadCurrentDataResponse>(downlink, 'readCurrentData', { terminalAddress: target.key, measurementPoint: 2, fns: [25], timeoutMs: 5000 });
      expect(read.servedBy).toBe(config.instanceId);
      expect(read.readings).toHaveLength(23); // F25: P, Q, PF (total + 3 phases each), U x3, I x3, zero-sequence I, S total + 3
      expect(read.readings.every((r) => r.meterId === target.meterId(2))).toBe(true);
      await expect(unary(downlink, 'readCurrentData', { terminalAddress: '4101-59999', measurementPoint: 1, fns: [25], timeoutMs: 1000 })).rejects.toMatchObject({ code: 5 });

      const store = svc.app.get<ReadingStore>(READING_STORE);
      const meters = sim.meterIds();
      await waitFor(async () => (await store.countReadings(meters)) === sim.truth.readings.size, 'every reading stored', 60_000, 250);
      // Settle: nothing more arrives, and still exactly the truth.
      await new Promise((r) => setTimeout(r, 500));
      const stored = await store.readingsOf(meters);
      const diff = diffWithTruth(sim.truth, stored);
      expect(diff).toMatchObject({ missing: [], unexpected: [], duplicated: [], wrong: [] });
      expect(isExact(diff)).toBe(true);
      expect(stored.every((r) => r.quality === 0 && r.frameId !== '')).toBe(true);
      await waitFor(() => validated.size === sim.truth.readings.size, 'every reading published as validated', 10_000);
      expect([...validated].every((k) => sim.truth.readings.has(k))).toBe(true);
      expect(misKeyed).toBe(0);

      // The wide-column copy: every meter's range scan holds the same values.
      const wide = svc.app.get<WideColumnStore>(HBASE);
      const fromWide: StoredValue[] = [];
      for (const m of meters) {
        for await (const row of wide.scan(METER_TABLE, readingRange(m, 0, Number.MAX_SAFE_INTEGER))) fromWide.push(...decodeReadingRow(row));
      }
      expect(isExact(diffWithTruth(sim.truth, fromWide))).toBe(true);

      // Provenance: a stored reading names its frame, and that frame's bytes are kept under the meter.
      const sample = stored[Math.floor(stored.length / 2)]!;
      const frames = [];
      for await (const row of wide.scan(METER_TABLE, { startRow: meterPrefix(sample.meterId, 'F'), stopRow: Buffer.concat([meterPrefix(sample.meterId, 'F'), Buffer.from([0xff])]) })) frames.push(row);
      expect(frames.some((r) => r.row.toString().endsWith(sample.frameId))).toBe(true);

      // Bad input: checksum errors rejected by comm, undecodable content by the parser, both with reasons.
      expect(sim.truth.badChecksumFrames).toBeGreaterThan(0);
      expect(sim.truth.badContentFrames).toBeGreaterThan(0);
      const bad = svc.app.get(TerminalServer).stats().badByCode;
      // At least one checksum error per corrupted frame (a false start inside its bytes can add one).
      expect(bad['DEFRAME_CHECKSUM']).toBeGreaterThanOrEqual(sim.truth.badChecksumFrames);
      expect(svc.app.get(RawFramesConsumer).stats().badFrames).toBe(sim.truth.badContentFrames);
      const dead = () => readFileSync(join(config.dataDir, 'dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { code: string; reason: string });
      const count = (code: string) => dead().filter((d) => d.code === code).length;
      await waitFor(async () => count('DEFRAME_CHECKSUM') === bad['DEFRAME_CHECKSUM'] && count('DECODE_RANGE') === sim.truth.badContentFrames, 'dead letters logged', 10_000);
      // The bytes after a corrupted frame's start are reported once more as garbage (the deframer resynchronises one byte on).
      expect(new Set(dead().map((d) => d.code))).toEqual(new Set(['DEFRAME_CHECKSUM', 'DEFRAME_GARBAGE', 'DECODE_RANGE']));
      expect(dead().every((d) => d.reason.length > 0)).toBe(true);

      // The query API returns the same curve, page by page.
      const m = target.meterId(1);
      const want = stored.filter((r) => r.meterId === m).length;
      let token = '';
      let got = 0;
      do {
        const page = await unary<unknown, GetCurveResponse>(query, 'getCurve', { meterId: m, fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, pageSize: 97, pageToken: token, quantities: [] });
        got += page.readings.length;
        token = page.nextPageToken;
      } while (token);
      expect(got).toBe(want);
    } finally {
      query.close();
      downlink.close();
      await sim.close();
      await svc.shutdown('test');
    }
  });
});
