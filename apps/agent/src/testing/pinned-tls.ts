// How a client pins the agent (what the control plane does): the agent's certificate is self-signed, so a
// CA check cannot pass and Node never calls checkServerIdentity for it. The client therefore first fetches
// the certificate without sending a byte of application data, then connects with that certificate as the
// only trusted CA and a checkServerIdentity that compares the SHA-256 of `peerCertificate.raw` with the pin
// the operator copied from the VPS. A wrong pin fails the handshake before any request (or credential) is sent.
import crypto from 'node:crypto';
import type { PeerCertificate } from 'node:tls';
import tls from 'node:tls';
import { fingerprintOf } from '../certificate.ts';

export type PinnedTlsOptions = {
  ca: string;
  rejectUnauthorized: true;
  checkServerIdentity: (host: string, cert: PeerCertificate) => Error | undefined;
};

function fetchCertificatePem(url: URL): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: url.hostname, port: Number(url.port), rejectUnauthorized: false },
      () => {
        const raw = socket.getPeerCertificate().raw;
        socket.destroy();
        resolve(new crypto.X509Certificate(raw).toString());
      },
    );
    socket.once('error', reject);
  });
}

export async function pinnedTlsOptions(
  agentUrl: string,
  pinnedFingerprint: string,
): Promise<PinnedTlsOptions> {
  const pin = pinnedFingerprint.toUpperCase();
  return {
    ca: await fetchCertificatePem(new URL(agentUrl)),
    rejectUnauthorized: true,
    // The certificate names no host; the pin replaces the hostname check.
    checkServerIdentity: (_host, cert) =>
      fingerprintOf(cert.raw) === pin
        ? undefined
        : new Error('agent certificate does not match the pinned fingerprint'),
  };
}
