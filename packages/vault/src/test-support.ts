/** Shared helpers for the vault's tests (not exported from the package). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { CredentialContext } from './data-key.ts';
import { VaultError, type VaultErrorCode } from './errors.ts';

/** An assert.throws/rejects validator: a VaultError with one of `codes`. */
export function vaultError(...codes: VaultErrorCode[]): (error: unknown) => true {
  return (error: unknown) => {
    assert.ok(error instanceof VaultError, `expected a VaultError, got ${String(error)}`);
    if (codes.length > 0)
      assert.ok(codes.includes(error.code), `unexpected code ${error.code}: ${error.message}`);
    return true;
  };
}

/** Runs `fn`, asserting it throws a VaultError (with one of `codes` if given); returns the error. */
export function catchVault(fn: () => unknown, ...codes: VaultErrorCode[]): VaultError {
  try {
    fn();
  } catch (error) {
    vaultError(...codes)(error);
    return error as VaultError;
  }
  assert.fail('expected a VaultError, but the call returned');
}

export const idArb = fc.string({ minLength: 1, maxLength: 16, unit: 'binary' });

export const contextArb: fc.Arbitrary<CredentialContext> = fc.record({
  userId: idArb,
  credentialId: idArb,
  provider: idArb,
  purpose: idArb,
});

export const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

export const sampleContext: CredentialContext = {
  userId: 'user-1',
  credentialId: 'cred-1',
  provider: 'anthropic',
  purpose: 'api_key',
};

export function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] = (copy[bit >> 3] ?? 0) ^ (1 << (bit & 7));
  return copy;
}
