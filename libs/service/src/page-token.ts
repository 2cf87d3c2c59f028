import { createHash } from 'node:crypto';
import { invalidArgument } from '@gridstation/errors';

// Page tokens: a cursor (a few JSON values) bound to the query it continues. A token is opaque to the
// client; a token of another query (other filters) or one this service never issued is refused with a
// clear INVALID_ARGUMENT instead of silently continuing somewhere else.

const digest = (scope: unknown): string => createHash('sha256').update(JSON.stringify(scope)).digest('base64url').slice(0, 16);

export function encodePageToken(cursor: readonly unknown[], scope: unknown): string {
  return Buffer.from(JSON.stringify([...cursor, digest(scope)])).toString('base64url');
}

/**
 * The cursor of `token`, checked against `scope` and by `valid` (the cursor's shape).
 * `what` names the scope in the refusal ("meter, time range or quantities differ").
 */
export function decodePageToken(token: string, scope: unknown, valid: (cursor: unknown[]) => boolean, what: string): unknown[] {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(token, 'base64url').toString());
  } catch {
    /* judged below */
  }
  if (!Array.isArray(v) || v.length < 1 || typeof v[v.length - 1] !== 'string' || !valid(v.slice(0, -1))) throw invalidArgument('INVALID_PAGE_TOKEN', 'page_token is not one this service issued');
  if (v[v.length - 1] !== digest(scope)) throw invalidArgument('INVALID_PAGE_TOKEN', `page_token belongs to another query (${what})`);
  return v.slice(0, -1);
}
