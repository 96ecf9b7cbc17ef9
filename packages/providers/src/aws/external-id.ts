import crypto from 'node:crypto';

// 256 random bits, base64url (43 characters): unguessable, URL-safe for the quick-create link, and within
// the ExternalId alphabet [\w+=,.@:/-] and length 2..1224 (STS AssumeRole API reference).
const EXTERNAL_ID_BYTES = 32;
const EXTERNAL_ID = /^[A-Za-z0-9_-]{43}$/;

/**
 * A fresh ExternalId for one cloud connection. The ExternalId is what stops another Claw Cloud user from
 * making us act on your role (the confused-deputy problem, AWS IAM User Guide "external ID"): it must be
 * generated per connection, never chosen by the user, never shared.
 */
export function generateExternalId(): string {
  return crypto.randomBytes(EXTERNAL_ID_BYTES).toString('base64url');
}

/** True only for values `generateExternalId()` can produce: a user-typed or empty ExternalId is refused. */
export function isExternalId(value: string): boolean {
  return EXTERNAL_ID.test(value);
}
