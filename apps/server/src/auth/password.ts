import { hash, verify } from '@node-rs/argon2';

// OWASP's Argon2id minimum (m=19 MiB, t=2, p=1); the parameters live in the PHC string, so raising
// them later only needs new hashes, not a migration.
// `algorithm: 2` is Argon2id (the library exports it as a const enum, which type stripping cannot read).
const params = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, params);
}

export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  return verify(phc, password);
}

// Verifying against this when the email is unknown keeps a login's timing from telling whether an account exists.
let decoy: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  decoy ??= hashPassword('decoy-password-for-unknown-accounts');
  await verify(await decoy, password);
}
