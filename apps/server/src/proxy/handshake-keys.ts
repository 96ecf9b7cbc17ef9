import { createHash, randomBytes } from 'node:crypto';

// RFC 6455 §1.3 / §4.2.2: the GUID appended to the client's key before hashing.
const guid = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + GUID)) (§4.2.2 step 5.4). */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + guid)
    .digest('base64');
}

/** A fresh Sec-WebSocket-Key: 16 random bytes, base64 (§4.1). */
export function newKey(): string {
  return randomBytes(16).toString('base64');
}

/** A Sec-WebSocket-Key the client may send: 16 bytes in base64 (§4.2.1 item 5). */
export function isValidKey(key: string | undefined): key is string {
  return key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key);
}
