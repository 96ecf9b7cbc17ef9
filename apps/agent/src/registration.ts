// Adopting a server: at first start the agent issues a one-time code that the operator pastes into the
// dashboard together with the URL and fingerprint. The control plane then proves it saw the code (over TLS
// pinned to the fingerprint) and hands over the instance credential. The code is stored hashed, expires,
// is single use, and is burned after a bounded number of wrong guesses.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CredentialStore } from './credential-store.ts';
import { sha256 } from './credential-store.ts';

export type Registration = ReturnType<typeof createRegistration>;

export type RegisterResult =
  { ok: true } | { ok: false; reason: 'already_registered' | 'invalid_code' | 'locked' | 'invalid_request' };

type PendingCode = { hash: string; expiresAt: number; failures: number };

const FILE = 'registration-code.json';
const CODE_BYTES = 16; // 128 bits
// >= 256 bits as base64url (43 chars) or hex (64 chars); an upper bound keeps hashing cheap.
const CREDENTIAL_SHAPE = /^[A-Za-z0-9_-]{43,512}$/;

export function createRegistration(deps: {
  stateDir: string;
  store: CredentialStore;
  now: () => number;
  ttlMs: number;
  maxFailures: number;
}) {
  const file = path.join(deps.stateDir, FILE);

  function read(): PendingCode | undefined {
    if (!fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PendingCode;
  }
  function write(pending: PendingCode): void {
    fs.writeFileSync(file, JSON.stringify(pending), { mode: 0o600 });
  }
  function burn(): void {
    fs.rmSync(file, { force: true });
  }

  return {
    /**
     * A fresh code when the agent is not registered yet (it replaces any earlier one: only its hash is kept,
     * so an earlier code cannot be shown again). Undefined once registered.
     */
    issueCode(): string | undefined {
      if (deps.store.isRegistered()) {
        burn();
        return undefined;
      }
      const code = crypto.randomBytes(CODE_BYTES).toString('base64url');
      write({ hash: sha256(code).toString('hex'), expiresAt: deps.now() + deps.ttlMs, failures: 0 });
      return code;
    },

    register(code: unknown, credential: unknown): RegisterResult {
      if (deps.store.isRegistered()) return { ok: false, reason: 'already_registered' };
      if (typeof code !== 'string' || typeof credential !== 'string' || !CREDENTIAL_SHAPE.test(credential)) {
        return { ok: false, reason: 'invalid_request' };
      }
      const pending = read();
      if (pending === undefined) return { ok: false, reason: 'invalid_code' };
      if (pending.failures >= deps.maxFailures) return { ok: false, reason: 'locked' };
      const matches = crypto.timingSafeEqual(sha256(code), Buffer.from(pending.hash, 'hex'));
      if (!matches || deps.now() >= pending.expiresAt) {
        write({ ...pending, failures: pending.failures + 1 });
        return { ok: false, reason: 'invalid_code' };
      }
      deps.store.save(credential);
      burn();
      return { ok: true };
    },
  };
}
