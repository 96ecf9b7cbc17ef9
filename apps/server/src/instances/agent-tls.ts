import { createHash, X509Certificate } from 'node:crypto';
import { connect, type PeerCertificate } from 'node:tls';
import { AppError } from '@claw/core';

/** SHA-256 of a certificate's DER as colon-separated upper-case hex (`openssl x509 -fingerprint -sha256`). */
export function fingerprintOf(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** Accepts a fingerprint as users paste it (any case, with or without colons); null when it is not one. */
export function normaliseFingerprint(input: string): string | null {
  const hex = input.replace(/^sha256[:=\s]*/i, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) return null;
  return hex.toUpperCase().match(/../g)?.join(':') ?? null;
}

/**
 * TLS options that trust exactly one certificate: it is the only root, and the fingerprint is
 * checked again in place of the host name (an agent's certificate names no host we could check).
 */
export function pinnedTls(certificatePem: string, fingerprint: string) {
  return {
    ca: certificatePem,
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      fingerprintOf(cert.raw) === fingerprint
        ? undefined
        : new AppError(
            'instance.agent_untrusted',
            "The instance's certificate does not match the pinned one.",
          ),
  };
}

/**
 * Reads the certificate an agent presents, sending nothing over the connection, so that the
 * fingerprint the user pasted can be checked before any secret is sent to it.
 */
export function fetchPeerCertificate(url: URL, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: Number(url.port || 443),
      // Nothing is sent on this connection; trust is decided by the fingerprint below.
      rejectUnauthorized: false,
      timeout: timeoutMs,
    });
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate(false).raw;
      socket.destroy();
      if (!raw)
        return reject(new AppError('instance.agent_unreachable', 'The instance presented no certificate.'));
      resolve(new X509Certificate(raw).toString());
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(new AppError('instance.agent_unreachable', 'The instance did not answer in time.'));
    });
    socket.once('error', (cause) =>
      reject(new AppError('instance.agent_unreachable', 'Could not reach the instance over TLS.', { cause })),
    );
  });
}
