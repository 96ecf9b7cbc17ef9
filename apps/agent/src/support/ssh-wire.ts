// Just enough of the SSH wire format (RFC 4251 §5) to check an OpenSSH public key and to read the key ID and
// serial of a user certificate (PROTOCOL.certkeys in the OpenSSH sources). Nothing here verifies signatures:
// sshd does that at every login.

export class SshWireError extends Error {
  override name = 'SshWireError';
}

function reader(buf: Buffer) {
  let offset = 0;
  const take = (length: number): Buffer => {
    if (offset + length > buf.length) throw new SshWireError('truncated');
    const out = buf.subarray(offset, offset + length);
    offset += length;
    return out;
  };
  return {
    string: (): Buffer => take(take(4).readUInt32BE(0)),
    uint32: (): number => take(4).readUInt32BE(0),
    uint64: (): bigint => take(8).readBigUInt64BE(0),
  };
}

/** Key types of a support CA or an sshd host key (ssh-keygen(1) -t); DSA is gone from OpenSSH. */
const CA_KEY_TYPES = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'ssh-rsa',
  'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
]);

/**
 * `type base64` of an OpenSSH public key line, without its comment, or undefined when the line is not a
 * plain public key whose blob names the same type. The result is safe to write into a TrustedUserCAKeys file:
 * one line, no options (a `@cert-authority` or `command=` prefix is refused).
 */
export function normalizePublicKey(line: string): string | undefined {
  const match = /^([a-z0-9@.-]{1,64}) ([A-Za-z0-9+/]{16,8192}={0,2})(?: [^\r\n]{0,256})?$/.exec(line.trim());
  if (!match || !CA_KEY_TYPES.has(match[1] as string)) return undefined;
  const [, type, base64] = match as unknown as [string, string, string];
  try {
    return reader(Buffer.from(base64, 'base64')).string().toString('latin1') === type
      ? `${type} ${base64}`
      : undefined;
  } catch {
    return undefined;
  }
}

// PROTOCOL.certkeys: after the type and nonce come the key's public fields, then serial, type and key ID.
const CERT_PUBLIC_FIELDS: Record<string, number> = {
  'ssh-ed25519-cert-v01@openssh.com': 1,
  'ssh-rsa-cert-v01@openssh.com': 2,
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': 2,
  'ecdsa-sha2-nistp384-cert-v01@openssh.com': 2,
  'ecdsa-sha2-nistp521-cert-v01@openssh.com': 2,
  'sk-ssh-ed25519-cert-v01@openssh.com': 2,
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com': 3,
};

export type CertificateIdentity = { keyId: string; serial: string };

/** Key ID and serial of a `<type> <base64>` certificate, as sshd's ExposeAuthInfo file shows it. */
export function certificateIdentity(typeAndBase64: string): CertificateIdentity | undefined {
  const [type, base64] = typeAndBase64.split(' ');
  const fields = type === undefined ? undefined : CERT_PUBLIC_FIELDS[type];
  if (fields === undefined || base64 === undefined) return undefined;
  try {
    const r = reader(Buffer.from(base64, 'base64'));
    if (r.string().toString('latin1') !== type) return undefined;
    r.string(); // nonce
    for (let i = 0; i < fields; i += 1) r.string();
    const serial = r.uint64().toString();
    r.uint32(); // certificate type (user or host)
    // The key ID is free text chosen by the CA; keep it printable and short, as sshd logs it.
    const keyId = r
      .string()
      .toString('utf8')
      .replace(/[^\x20-\x7e]/g, '?')
      .slice(0, 256);
    return { serial, keyId };
  } catch {
    return undefined;
  }
}
