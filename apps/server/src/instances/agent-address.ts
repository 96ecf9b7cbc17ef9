import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '@claw/core';

// Addresses a user must not be able to make us connect to: our own host and networks (SSRF).
const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  internal.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::1', 128],
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['::ffff:0:0', 96],
] as const) {
  internal.addSubnet(net, prefix, 'ipv6');
}

/**
 * Parses the agent URL a user gave us and, unless private networks are allowed, refuses one that
 * resolves to a loopback, private or link-local address.
 */
export async function checkAgentUrl(input: string, allowPrivate: boolean): Promise<URL> {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new AppError('instance.url_invalid', 'The agent URL is not a URL.', { field: 'agentUrl' });
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.search || url.hash) {
    throw new AppError('instance.url_invalid', 'The agent URL must be https://host:port with nothing else.', {
      field: 'agentUrl',
    });
  }
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) }]
    : await lookup(host, { all: true }).catch(() => []);
  if (addresses.length === 0) {
    throw new AppError('instance.url_invalid', 'The agent host name does not resolve.', {
      field: 'agentUrl',
    });
  }
  for (const { address, family } of addresses) {
    if (internal.check(address, family === 6 ? 'ipv6' : 'ipv4')) {
      throw new AppError(
        'instance.url_invalid',
        'The agent URL points to a private or loopback address (set CLAW_AGENT_ALLOW_PRIVATE_NETWORKS=true for a self-hosted setup).',
        { field: 'agentUrl' },
      );
    }
  }
  return url;
}

/** Where a provisioned server's agent listens: the address its provider reports, on the agent port. */
export function provisionedAgentUrl(address: string, port: number, allowPrivate: boolean): Promise<URL> {
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return checkAgentUrl(`https://${host}:${port}`, allowPrivate);
}
