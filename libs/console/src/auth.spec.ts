import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AuthError, cookie, hashPassword, parseUsers, Sessions } from './auth';

const users = parseUsers(`olga:operator:${hashPassword('s3cret-op')},rita:read-only:plain:look-only`);

function refused(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return `${(e as AuthError).status} ${(e as Error).message}`;
  }
  return 'allowed';
}

describe('console sign-in', () => {
  it('signs in with a scrypt hash or a plain demo secret, and refuses a wrong password or user alike', () => {
    const s = new Sessions(users);
    expect(s.signIn('olga', 's3cret-op')).toMatchObject({ user: 'olga', role: 'operator' });
    expect(s.signIn('rita', 'look-only')).toMatchObject({ user: 'rita', role: 'read-only' });
    expect(refused(() => s.signIn('olga', 'wrong'))).toBe('401 unknown user or wrong password');
    expect(refused(() => s.signIn('mallory', 's3cret-op'))).toBe('401 unknown user or wrong password');
  });

  it('knows a session by its cookie until it expires or is signed out', () => {
    let now = 0;
    const s = new Sessions(users, 1_000, () => now);
    const session = s.signIn('olga', 's3cret-op');
    expect(s.get(cookie(`theme=dark; gs_console=${session.id}`, 'gs_console')).user).toBe('olga');
    now = 2_000;
    expect(refused(() => s.get(session.id))).toBe('401 sign in first');
    const again = s.signIn('olga', 's3cret-op');
    s.signOut(again.id);
    expect(refused(() => s.get(again.id))).toBe('401 sign in first');
  });

  it('refuses a state change without the CSRF token, and an operator action to a read-only user', () => {
    const s = new Sessions(users);
    const op = s.signIn('olga', 's3cret-op');
    const ro = s.signIn('rita', 'look-only');
    expect(refused(() => s.authorize(op, undefined, 'operator', 'cancel'))).toMatch(/^403 missing or wrong CSRF token/);
    expect(refused(() => s.authorize(op, ro.csrf, 'operator', 'cancel'))).toMatch(/^403 missing or wrong CSRF token/);
    expect(refused(() => s.authorize(op, op.csrf, 'operator', 'cancel'))).toBe('allowed');
    expect(refused(() => s.authorize(ro, ro.csrf, 'operator', 'Cancelling a task set'))).toBe('403 Cancelling a task set needs the operator role; rita is read-only');
    expect(refused(() => s.authorize(ro, ro.csrf, 'read-only', 'submit'))).toBe('allowed');
  });

  it('accepts the secret that the README\'s hashing tool prints (tools/console/hash-password.mjs)', () => {
    const secret = execFileSync(process.execPath, [join(__dirname, '..', '..', '..', 'tools', 'console', 'hash-password.mjs'), 'from the tool'], { encoding: 'utf8' }).trim();
    const s = new Sessions(parseUsers(`ana:operator:${secret}`));
    expect(s.signIn('ana', 'from the tool').role).toBe('operator');
    expect(refused(() => s.signIn('ana', 'from the too'))).toBe('401 unknown user or wrong password');
  });

  it('says what is wrong with a user list', () => {
    expect(() => parseUsers('bob:admin:plain:x')).toThrow(/role must be read-only or operator/);
    expect(() => parseUsers('bob:operator:hunter2')).toThrow(/secret must be scrypt/);
  });
});
