import { decodePageToken as decodeScopedToken, encodePageToken as encodeScopedToken } from '@gridstation/service';
import { GsError } from '@gridstation/errors';
import type { GetCurveRequest, GetCurveResponse, GetLatestReadingsRequest, GetLatestReadingsResponse } from '@gridstation/contracts';
import { toReading, type CurveCursor } from './model';
import type { ReadingStore } from './ports';

// Reading queries, independent of the transport (the gRPC controller maps errors to status codes).

export class QueryError extends GsError {
  constructor(code: 'INVALID_ARGUMENT' | 'DEADLINE_EXCEEDED', message: string) {
    super(code === 'INVALID_ARGUMENT' ? 'invalid-argument' : 'deadline-exceeded', code, message);
    this.name = 'QueryError';
  }
}

export const DEFAULT_PAGE_SIZE = 1000;
export const MAX_PAGE_SIZE = 10_000;

/** Meter ids as the archive issues them: a bounded identifier, never free text. */
export const METER_ID = /^[0-9A-Za-z][0-9A-Za-z_.:-]{0,31}$/;

export function checkMeterId(id: string): void {
  if (!id) throw new QueryError('INVALID_ARGUMENT', 'meter_id is required');
  if (!METER_ID.test(id)) throw new QueryError('INVALID_ARGUMENT', `meter_id must be 1 to 32 letters, digits or _.:- (got ${id.length} characters)`);
}

/** What a page token belongs to: the query it continues (a token of another meter or range is refused). */
type QueryScope = Pick<GetCurveRequest, 'meterId' | 'fromMs' | 'toMs' | 'quantities'>;

const scopeOf = (q: QueryScope) => [q.meterId, q.fromMs, q.toMs, [...q.quantities].sort()];

export function encodePageToken(c: CurveCursor, scope: QueryScope): string {
  return encodeScopedToken([c.dataTimeMs, c.quantity, c.tariff], scopeOf(scope));
}

export function decodePageToken(token: string, scope: QueryScope): CurveCursor {
  const valid = (v: unknown[]) => v.length === 3 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && Number.isInteger(v[2]);
  const v = decodeScopedToken(token, scopeOf(scope), valid, 'meter, time range or quantities differ');
  return { dataTimeMs: v[0] as number, quantity: v[1] as string, tariff: v[2] as number };
}

/** Rejects with DEADLINE_EXCEEDED when `deadlineMs` (epoch ms) passes first. */
export async function withinDeadline<T>(deadlineMs: number, work: () => Promise<T>): Promise<T> {
  const left = deadlineMs - Date.now();
  if (!Number.isFinite(left)) return work();
  if (left <= 0) throw new QueryError('DEADLINE_EXCEEDED', 'deadline passed before the query started');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new QueryError('DEADLINE_EXCEEDED', `query did not finish within ${left} ms`)), left);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export class ReadingQueries {
  constructor(private readonly store: ReadingStore) {}

  async latest(req: GetLatestReadingsRequest, deadlineMs = Number.POSITIVE_INFINITY): Promise<GetLatestReadingsResponse> {
    checkMeterId(req.meterId);
    const rows = await withinDeadline(deadlineMs, () => this.store.latest(req.meterId, req.quantities));
    return { readings: rows.map(toReading) };
  }

  async curve(req: GetCurveRequest, deadlineMs = Number.POSITIVE_INFINITY): Promise<GetCurveResponse> {
    checkMeterId(req.meterId);
    if (!(req.toMs > req.fromMs)) throw new QueryError('INVALID_ARGUMENT', 'to_ms must be after from_ms');
    if (req.pageSize > MAX_PAGE_SIZE) throw new QueryError('INVALID_ARGUMENT', `page_size must be at most ${MAX_PAGE_SIZE}`);
    const limit = req.pageSize || DEFAULT_PAGE_SIZE;
    const after = req.pageToken ? decodePageToken(req.pageToken, req) : undefined;
    // One row more than asked tells whether another page exists.
    const rows = await withinDeadline(deadlineMs, () =>
      this.store.curve({ meterId: req.meterId, quantities: req.quantities, fromMs: req.fromMs, toMs: req.toMs, limit: limit + 1, ...(after ? { after } : {}) }),
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      readings: page.map(toReading),
      nextPageToken: rows.length > limit && last ? encodePageToken({ dataTimeMs: last.dataTimeMs, quantity: last.quantity, tariff: last.tariff }, req) : '',
    };
  }
}
