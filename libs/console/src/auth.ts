import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

// Sign-in for the console: users with a role, sessions in memory, CSRF tokens. A session is an opaque
// random id in an HttpOnly, SameSite=Strict cookie; every state-changing request must also carry the
// session's CSRF token in a header (X-CSRF-Token) and come from the console's own origin, so a page on
// another site can neither read the token nor make the browser send a request that passes.

export type Role = 'read-only' | 'operator';

export interface User {
  name: string;
  role: Role;
  /** scrypt$<salt hex>$<hash hex>, or plain:<password> (demo and tests only). */
  secret: string;
}

export interface Session {
  id: string;
  user: string;
  role: Role;
  csrf: string;
  expiresAt: number;
}

export class AuthError extends Error {
  constructor(readonly status: 401 | 403, message: string) {
    super(message);
  }
}

/** Parses GS_CONSOLE_USERS: name:role:secret entries separated by commas. */
export function parseUsers(spec: string): User[] {
  return spec
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, role, ...rest] = entry.split(':');
      const secret = rest.join(':');
      if (!name || !secret) throw new Error(`console user "${entry}": expected name:role:secret`);
      if (role !== 'read-only' && role !== 'operator') throw new Error(`console user ${name}: role must be read-only or operator, not "${role}"`);
      if (!secret.startsWith('scrypt$') && !secret.startsWith('plain:')) throw new Error(`console user ${name}: secret must be scrypt$<salt>$<hash> (node tools/console/hash-password.mjs) or plain:<password>`);
      return { name, role, secret };
    });
}

export function hashPassword(password: string, salt = randomBytes(16)): string {
  return `scrypt$${salt.toString('hex')}$${scryptSync(password, salt, 32).toString('hex')}`;
}

function verify(secret: string, password: string): boolean {
  if (secret.startsWith('plain:')) {
    const want = Buffer.from(secret.slice(6));
    const got = Buffer.from(password);
    return want.length === got.length && timingSafeEqual(want, got);
  }
  const [, salt, hash] = secret.split('$');
  const want = Buffer.from(hash ?? '', 'hex');
  const got = scryptSync(password, Buffer.from(salt ?? '', 'hex'), want.length || 32);
  return want.length === got.length && timingSafeEqual(want, got);
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();
  private readonly users: Map<string, User>;

  constructor(users: readonly User[], private readonly ttlMs = 8 * 3_600_000, private readonly now: () => number = Date.now) {
    this.users = new Map(users.map((u) => [u.name, u]));
  }

  signIn(name: string, password: string): Session {
    const u = this.users.get(name);
    // The same answer and about the same work whether the user exists or not.
    if (!u) {
      verify(hashPassword('x', Buffer.alloc(16)), password);
      throw new AuthError(401, 'unknown user or wrong password');
    }
    if (!verify(u.secret, password)) throw new AuthError(401, 'unknown user or wrong password');
    const s: Session = { id: randomBytes(24).toString('base64url'), user: u.name, role: u.role, csrf: randomBytes(24).toString('base64url'), expiresAt: this.now() + this.ttlMs };
    this.sessions.set(s.id, s);
    return s;
  }

  signOut(id: string): void {
    this.sessions.delete(id);
  }

  /** The session of a cookie value, or a 401 saying to sign in. */
  get(id: string | undefined): Session {
    const s = id ? this.sessions.get(id) : undefined;
    if (!s || s.expiresAt < this.now()) {
      if (s) this.sessions.delete(s.id);
      throw new AuthError(401, 'sign in first');
    }
    return s;
  }

  /** A state-changing request: the CSRF header must match the session's token, and operators only where asked. */
  authorize(s: Session, csrfHeader: string | undefined, need: Role, action: string): void {
    if (!csrfHeader || csrfHeader.length !== s.csrf.length || !timingSafeEqual(Buffer.from(csrfHeader), Buffer.from(s.csrf))) {
      throw new AuthError(403, 'missing or wrong CSRF token (X-CSRF-Token): reload the console');
    }
    if (need === 'operator' && s.role !== 'operator') throw new AuthError(403, `${action} needs the operator role; ${s.user} is read-only`);
  }
}

/** The value of one cookie in a Cookie header. */
export function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
