// The agent's TLS identity: a self-signed ECDSA P-256 certificate made at first start and kept in the state
// folder. Clients pin its SHA-256 fingerprint (shown to the operator at registration) instead of trusting a CA.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import './reflect-metadata-shim.ts';
import * as x509 from '@peculiar/x509';

export type AgentCertificate = {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER, colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint: string;
};

const KEY_FILE = 'tls-key.pem';
const CERT_FILE = 'tls-cert.pem';
// Pinning makes expiry meaningless for trust, but TLS stacks still check the validity window.
const VALIDITY_YEARS = 20;
const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
// @peculiar/x509 is typed against the DOM's WebCrypto; node:crypto's webcrypto is the same API.
type SelfSignedArgs = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>;

export function fingerprintOf(der: Uint8Array): string {
  const hex = crypto.createHash('sha256').update(der).digest('hex').toUpperCase();
  return hex.match(/../g)!.join(':');
}

async function createCertificate(now: Date): Promise<{ certPem: string; keyPem: string }> {
  const keys = (await crypto.webcrypto.subtle.generateKey(EC_KEY, true, [
    'sign',
    'verify',
  ])) as crypto.webcrypto.CryptoKeyPair;
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALIDITY_YEARS);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      // RFC 5280 §4.1.2.2: a positive serial; a leading hex digit below 8 keeps the DER integer's sign bit clear.
      serialNumber: crypto
        .randomBytes(16)
        .toString('hex')
        .replace(/^[89a-f]/, '1'),
      name: 'CN=claw-agent',
      notBefore: now,
      notAfter,
      keys: keys as unknown as SelfSignedArgs[0]['keys'],
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ],
    },
    crypto.webcrypto as unknown as SelfSignedArgs[1],
  );
  const keyPem = crypto.KeyObject.from(keys.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString();
  return { certPem: cert.toString('pem'), keyPem };
}

export async function loadOrCreateCertificate(stateDir: string, now = new Date()): Promise<AgentCertificate> {
  const keyPath = path.join(stateDir, KEY_FILE);
  const certPath = path.join(stateDir, CERT_FILE);
  if (!fs.existsSync(keyPath) || !fs.existsSync(certPath)) {
    const created = await createCertificate(now);
    // 0600: the private key is the agent's identity; whoever reads it can impersonate the agent.
    fs.writeFileSync(keyPath, created.keyPem, { mode: 0o600 });
    fs.writeFileSync(certPath, created.certPem, { mode: 0o644 });
  }
  const certPem = fs.readFileSync(certPath, 'utf8');
  const keyPem = fs.readFileSync(keyPath, 'utf8');
  return { certPem, keyPem, fingerprint: fingerprintOf(new crypto.X509Certificate(certPem).raw) };
}
