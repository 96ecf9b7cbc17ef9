// The instance credential: a random bearer secret the control plane chose at registration. Only its
// SHA-256 is kept; the secret has >= 256 bits of entropy, so a fast hash is enough (no password KDF needed).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type CredentialStore = ReturnType<typeof createCredentialStore>;

const FILE = 'credential.sha256';

export function sha256(value: string): Buffer {
  return crypto.createHash('sha256').update(value, 'utf8').digest();
}

export function createCredentialStore(stateDir: string) {
  const file = path.join(stateDir, FILE);
  let hash: Buffer | undefined = fs.existsSync(file)
    ? Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex')
    : undefined;

  return {
    isRegistered: (): boolean => hash !== undefined,

    /** Saves the credential's hash; `wx` refuses to overwrite an earlier registration. */
    save(credential: string): void {
      const digest = sha256(credential);
      fs.writeFileSync(file, `${digest.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
      hash = digest;
    },

    /** Constant-time check of a presented credential against the stored hash. */
    verify(presented: string | undefined): boolean {
      if (hash === undefined || presented === undefined) return false;
      // Both sides are 32-byte digests, so timingSafeEqual never sees a length mismatch.
      return crypto.timingSafeEqual(sha256(presented), hash);
    },
  };
}
