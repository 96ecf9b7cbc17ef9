// sshd's host public keys for the support engineer's known_hosts (docs/support-tunnel.md). The control plane
// fetches them over TLS pinned to the agent's certificate with the instance credential, so the engineer's ssh
// checks sshd's key strictly instead of trusting it on first use. They come from sshd's effective
// configuration, so they are the keys sshd actually offers, wherever HostKey points.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { promisify } from 'node:util';
import { normalizePublicKey } from './ssh-wire.ts';
import type { SupportConfig } from './support-config.ts';
import { SupportError } from './support-error.ts';

const run = promisify(execFile);
// A public key line is well under this (RSA 16384 bits: ~2.8 KB); a larger file cannot be one.
const PUB_FILE_BYTES = 16 * 1024;

/** The paths of sshd(8) -T's `hostkey <path>` lines: the HostKey settings, or sshd's defaults without any. */
export function hostKeyPaths(effectiveConfig: string): string[] {
  return [...effectiveConfig.matchAll(/^hostkey (.+)$/gm)].map((match) => match[1] as string);
}

function readHead(file: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(PUB_FILE_BYTES);
    return buf.subarray(0, fs.readSync(fd, buf, 0, buf.length, 0)).toString('utf8');
  } catch {
    return undefined; // sshd skips a host key it cannot load; so do we
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * `type base64` of each host key's `<path>.pub`, comment dropped. Only a file that is one plain OpenSSH public
 * key line passes (the check used for the support CA's key): a `.pub` holding a private key, options or several
 * lines is skipped, so nothing but public keys can leave this way.
 */
function publicHostKeys(paths: string[]): string[] {
  const keys = paths.map((file) => {
    const text = readHead(`${file}.pub`);
    return text === undefined ? undefined : normalizePublicKey(text);
  });
  return [...new Set(keys.filter((key) => key !== undefined))];
}

export async function sshdHostKeys(config: Pick<SupportConfig, 'sshd' | 'sshdConfig'>): Promise<string[]> {
  let effective: string;
  try {
    ({ stdout: effective } = await run(config.sshd, ['-T', '-f', config.sshdConfig], { timeout: 10_000 }));
  } catch (err) {
    throw new SupportError('sshd_config_invalid', { cause: err });
  }
  const keys = publicHostKeys(hostKeyPaths(effective));
  if (keys.length === 0) throw new SupportError('host_keys_unavailable');
  return keys;
}
