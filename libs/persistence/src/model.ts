import type { DeviceEvent, RawFrame, Reading } from '@gridstation/contracts';

// What the stores hold. One row per (meter, quantity, tariff, data time): that tuple is the identity a
// reading is deduplicated on in every store, so writing the same batch twice changes nothing.

export interface StoredReading {
  meterId: string;
  quantity: string;
  tariff: number;
  dataTimeMs: number;
  /** NaN when the device marked the value missing (see quality). */
  value: number;
  unit: number;
  /** QualityFlag bit set after validation. */
  quality: number;
  receivedAtMs: number;
  terminalAddress: string;
  measurementPoint: number;
  /** Provenance: the raw frame and the Kafka record the value came from. */
  frameId: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: number;
  storedAtMs: number;
}

export interface StoredEvent {
  eventId: string;
  deviceId: string;
  deviceKind: number;
  type: number;
  code: string;
  occurredAtMs: number;
  endedAtMs: number;
  receivedAtMs: number;
  terminalAddress: string;
  measurementPoint: number;
  attributes: Record<string, string>;
  frameId: string;
  storedAtMs: number;
}

/** The identity of a reading in every store. */
export const readingKey = (r: Pick<StoredReading, 'meterId' | 'quantity' | 'tariff' | 'dataTimeMs'>): string =>
  `${r.meterId}|${r.quantity}|${r.tariff}|${r.dataTimeMs}`;

export function toStoredReading(r: Reading, quality: number, storedAtMs: number): StoredReading {
  return {
    meterId: r.meterId,
    quantity: r.quantity,
    tariff: r.tariff,
    dataTimeMs: r.dataTimeMs,
    value: r.value,
    unit: r.unit,
    quality,
    receivedAtMs: r.receivedAtMs,
    terminalAddress: r.terminalAddress,
    measurementPoint: r.measurementPoint,
    frameId: r.source?.frameId ?? '',
    sourceTopic: r.source?.topic ?? '',
    sourcePartition: r.source?.partition ?? -1,
    sourceOffset: r.source?.offset ?? -1,
    storedAtMs,
  };
}

export function toReading(s: StoredReading): Reading {
  return {
    meterId: s.meterId,
    terminalAddress: s.terminalAddress,
    measurementPoint: s.measurementPoint,
    quantity: s.quantity,
    tariff: s.tariff,
    unit: s.unit,
    value: s.value,
    dataTimeMs: s.dataTimeMs,
    receivedAtMs: s.receivedAtMs,
    quality: s.quality,
    source: { frameId: s.frameId, topic: s.sourceTopic, partition: s.sourcePartition, offset: s.sourceOffset, indexInBatch: 0 },
  };
}

export function toStoredEvent(e: DeviceEvent, storedAtMs: number): StoredEvent {
  return {
    eventId: e.eventId,
    deviceId: e.deviceId,
    deviceKind: e.deviceKind,
    type: e.type,
    code: e.code,
    occurredAtMs: e.occurredAtMs,
    endedAtMs: e.endedAtMs,
    receivedAtMs: e.receivedAtMs,
    terminalAddress: e.terminalAddress,
    measurementPoint: e.measurementPoint,
    attributes: e.attributes,
    frameId: e.source?.frameId ?? '',
    storedAtMs,
  };
}

/** A raw frame kept next to the readings of one meter it carried. */
export interface StoredFrame {
  meterId: string;
  frame: RawFrame;
}

/** Keyset position inside one meter's curve: the last reading of the previous page. */
export interface CurveCursor {
  dataTimeMs: number;
  quantity: string;
  tariff: number;
}

export interface CurveQuery {
  meterId: string;
  quantities: readonly string[];
  fromMs: number;
  toMs: number;
  after?: CurveCursor;
  limit: number;
}
