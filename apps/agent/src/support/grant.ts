// A support grant: who may log in as the support account (certificates of one CA naming one random principal),
// until when, from where, and whether with administrator rights.
import crypto from 'node:crypto';
import net from 'node:net';
import { normalizePublicKey } from './ssh-wire.ts';
import { SupportError } from './support-error.ts';

export type Grant = {
  grantId: string;
  /** `claw-support-<96 random bits>`: a new one per grant, so no certificate outlives its grant's principal. */
  principal: string;
  /** `type base64` of the support CA's public key (no comment, no options). */
  caPublicKey: string;
  /** Epoch milliseconds, a whole second: sshd's expiry-time and ssh-keygen -V have second precision. */
  notAfter: number;
  createdAt: number;
  admin: boolean;
  /** Addresses or CIDR blocks the support engineer may come from; empty = any. */
  sourceAddresses: string[];
};

export type GrantRequest = Pick<Grant, 'caPublicKey' | 'admin' | 'sourceAddresses'> & {
  durationSeconds: number;
};

/** The bound: default and maximum 24 h. */
export const MAX_GRANT_SECONDS = 86_400;
const MAX_SOURCE_ADDRESSES = 16;

function sourceAddress(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const [address, prefix, ...rest] = value.split('/');
  const family = net.isIP(address ?? '');
  if (family === 0 || rest.length > 0) return undefined;
  if (prefix === undefined) return address;
  const bits = Number(prefix);
  // Digits only: sshd's from= must not see anything but the address pattern (sshd(8) AUTHORIZED_KEYS).
  if (!/^\d{1,3}$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return undefined;
  return `${address}/${bits}`;
}

/** Validates the body of POST /support/grants; throws SupportError('invalid_request'). */
export function parseGrantRequest(body: unknown): GrantRequest {
  const input = (body ?? {}) as Record<string, unknown>;
  const invalid = () => new SupportError('invalid_request');
  const caPublicKey =
    typeof input.caPublicKey === 'string' ? normalizePublicKey(input.caPublicKey) : undefined;
  if (caPublicKey === undefined) throw invalid();
  const durationSeconds = input.durationSeconds ?? MAX_GRANT_SECONDS;
  if (
    typeof durationSeconds !== 'number' ||
    !Number.isInteger(durationSeconds) ||
    durationSeconds < 1 ||
    durationSeconds > MAX_GRANT_SECONDS
  )
    throw invalid();
  const admin = input.admin ?? false;
  if (typeof admin !== 'boolean') throw invalid();
  const rawSources = input.sourceAddresses ?? [];
  if (!Array.isArray(rawSources) || rawSources.length > MAX_SOURCE_ADDRESSES) throw invalid();
  const sourceAddresses = rawSources.map(sourceAddress);
  if (sourceAddresses.some((address) => address === undefined)) throw invalid();
  return { caPublicKey, durationSeconds, admin, sourceAddresses: sourceAddresses as string[] };
}

export function newGrant(request: GrantRequest, now: number): Grant {
  return {
    grantId: crypto.randomUUID(),
    principal: `claw-support-${crypto.randomBytes(12).toString('hex')}`,
    caPublicKey: request.caPublicKey,
    notAfter: Math.floor(now / 1000) * 1000 + request.durationSeconds * 1000,
    createdAt: now,
    admin: request.admin,
    sourceAddresses: request.sourceAddresses,
  };
}

/** What the control plane sees of a grant: everything but the CA key it sent itself. */
export function publicGrant(grant: Grant) {
  return {
    grantId: grant.grantId,
    principal: grant.principal,
    notAfter: new Date(grant.notAfter).toISOString(),
    createdAt: new Date(grant.createdAt).toISOString(),
    admin: grant.admin,
    sourceAddresses: grant.sourceAddresses,
  };
}
