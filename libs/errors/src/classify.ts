import { GsError } from './errors';

// The one question every consumer and retry loop asks of a failure: is a dependency unavailable (wait and
// try the same work again), or is the work itself bad (reject it with the reason and move on)? Retrying a
// permanent error stalls a partition for good; dead-lettering a transient one loses data. So the answer
// is decided here, once: by the error's own kind where the station raised it, by the operating system's
// network error codes, and by rules that adapter libraries register for the clients they wrap (only the
// adapter knows which of kafkajs's, ioredis's or the ClickHouse client's errors mean "down").

export interface Classification {
  /** Wait and redo the same work. */
  retriable: boolean;
  /** Stable code for metrics and dead letters. */
  code: string;
  reason: string;
}

/** Returns true when the error means that the dependency it came from is unavailable. */
export type UnavailabilityRule = (e: unknown) => boolean;

const rules = new Map<string, UnavailabilityRule>();

/** Adapters register what their client's "dependency down" errors look like (idempotent by name). */
export function registerUnavailabilityRule(name: string, rule: UnavailabilityRule): void {
  rules.set(name, rule);
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENETDOWN|ENOTFOUND|EAI_AGAIN|ESOCKETTIMEDOUT|UND_ERR_(SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT|CLOSED))$/;

function causes(e: unknown): unknown[] {
  const out: unknown[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 6 && cur !== undefined && cur !== null; depth++) {
    out.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

function unavailableOne(e: unknown): boolean | undefined {
  if (e instanceof GsError) return e.kind === 'unavailable';
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && NETWORK_CODES.test(code)) return true;
  for (const rule of rules.values()) if (rule(e)) return true;
  return undefined;
}

/** True when the failure is a dependency being unavailable (the first decisive error in the cause chain wins). */
export function isDependencyUnavailable(e: unknown): boolean {
  for (const c of causes(e)) {
    const verdict = unavailableOne(c);
    if (verdict !== undefined) return verdict;
  }
  return false;
}

export function classifyError(e: unknown): Classification {
  const retriable = isDependencyUnavailable(e);
  const reason = e instanceof Error ? `${e.name === 'Error' ? '' : `${e.name}: `}${e.message}` : String(e);
  const code = e instanceof GsError ? e.code : retriable ? 'DEPENDENCY_UNAVAILABLE' : 'PROCESSING_FAILED';
  return { retriable, code, reason };
}
