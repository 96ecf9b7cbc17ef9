// The support team's commands (`claw-cloud support …`, docs/support-tunnel.md), run on the control plane's
// host with its database and master keys:
//   connect  an ssh ProxyCommand: the agent's support tunnel on stdin/stdout, while the user's grant is active
//   sign     the engineer's key signed with the support CA for the active grant's principal, until its end,
//            and a known_hosts file with sshd's host keys as the agent hands them out over the pinned channel
// The CA's private key is the support team's: it is read by ssh-keygen from the path given, never configured
// in the control plane.
import { execFile } from 'node:child_process';
import { randomInt, X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { and, desc, eq, gt, isNull } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import { readJson, type AgentClient } from '../instances/agent-client.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import { agentRefusalMessage, openSupportTunnel, type SupportTunnel } from './support-tunnel.ts';

const { instances, supportGrants } = schema;
const run = promisify(execFile);
// Clock skew between this host and the instance: the certificate is valid from a minute ago.
const validFromSkewMs = 60_000;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// One `type base64` host key, as the agent answers (apps/agent/src/support/sshd-host-keys.ts): nothing else
// may reach the known_hosts file, where an extra field or line could vouch for another key or host.
const hostKeyLine = /^(?:ssh-ed25519|ecdsa-sha2-nistp(?:256|384|521)|ssh-rsa) [A-Za-z0-9+/]{16,8192}={0,2}$/;
const maxHostKeys = 16;

export type SupportDeps = { db: Db; instances: InstanceService; now: () => Date };

export type ActiveGrant = typeof supportGrants.$inferSelect;

/** The instance's open grant (not ended, not past its end), or an error the engineer can act on. */
export async function activeGrant(db: Db, instanceId: string, now: Date): Promise<ActiveGrant> {
  if (!uuid.test(instanceId)) throw new AppError('not_found', 'No such instance.');
  const [grant] = await db
    .select()
    .from(supportGrants)
    .where(
      and(
        eq(supportGrants.instanceId, instanceId),
        isNull(supportGrants.endedAt),
        gt(supportGrants.notAfter, now),
      ),
    )
    .orderBy(desc(supportGrants.createdAt))
    .limit(1);
  if (!grant)
    throw new AppError(
      'not_found',
      'No support grant is active on this instance: the user has to grant one.',
    );
  return grant;
}

/** The instance's row, a client for its agent and its instance credential (decrypted for this use only). */
async function connectInstance(deps: SupportDeps, instanceId: string) {
  const [row] = await deps.db.select().from(instances).where(eq(instances.id, instanceId));
  if (!row) throw new AppError('not_found', 'No such instance.');
  return { row, ...(await deps.instances.connect(row)) };
}

/**
 * Opens the instance's support tunnel with its instance credential, after checking that the user's grant is
 * active: the agent checks again and cuts the tunnel when the grant ends.
 */
export async function openTunnelTo(deps: SupportDeps, instanceId: string): Promise<SupportTunnel> {
  await activeGrant(deps.db, instanceId, deps.now());
  const { row, credential } = await connectInstance(deps, instanceId);
  return openSupportTunnel(
    {
      url: row.agentUrl ?? '',
      certificatePem: new X509Certificate(row.agentCertificate ?? Buffer.alloc(0)).toString(),
      fingerprint: row.agentFingerprint ?? '',
    },
    credential,
  );
}

/**
 * Pipes `input` into the tunnel and the tunnel into `output` (an ssh ProxyCommand's stdin and stdout);
 * resolves when the tunnel has closed: sshd or the agent ended it (at revoke, say), or `input` ended and the
 * agent then closed its side.
 */
export function pipeTunnel(
  { socket, head }: SupportTunnel,
  io: { input: Readable; output: Writable },
): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => {
      io.input.unpipe(socket);
      resolve();
    });
    // A reset or an aborted TLS session ends the tunnel like a close; ssh reports the lost connection.
    socket.on('error', () => socket.destroy());
    io.output.write(head);
    socket.pipe(io.output, { end: false });
    io.input.pipe(socket);
  });
}

/**
 * sshd's host public keys, from the agent (`GET /support/host-keys`) over TLS pinned to its certificate and
 * with the instance credential: the channel vouches for them, so the engineer's ssh need not trust sshd's key
 * on first use.
 */
async function fetchHostKeys(client: AgentClient, credential: string): Promise<string[]> {
  const response = await client.call(credential, 'GET', '/support/host-keys');
  const body = (await readJson(response)) as { hostKeys?: unknown; error?: { code?: unknown } };
  const status = response.statusCode ?? 0;
  if (status !== 200) {
    const code = typeof body.error?.code === 'string' ? body.error.code : `HTTP ${status}`;
    throw new AppError(
      'support.failed',
      agentRefusalMessage(status) ?? `The instance could not hand out sshd's host keys (${code}).`,
    );
  }
  const keys = body.hostKeys;
  if (
    !Array.isArray(keys) ||
    keys.length === 0 ||
    keys.length > maxHostKeys ||
    !keys.every((key) => typeof key === 'string' && hostKeyLine.test(key))
  )
    throw new AppError('support.failed', "The instance's answer holds no valid sshd host key.");
  return keys as string[];
}

/** ssh-keygen(1) -V time: YYYYMMDDHHMMSS, with Z for UTC. */
function sshTime(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export type SignOptions = {
  instanceId: string;
  /** The support CA's private key (ssh-keygen asks for its passphrase on the terminal if it has one). */
  caKey: string;
  /** The engineer's public key. */
  publicKey: string;
  /**
   * Where the certificate goes; default: next to the public key, as ssh-keygen names it (`…-cert.pub`). The
   * known_hosts file goes into the same folder, as `<instance id>.known_hosts`.
   */
  out?: string;
  /** Who the certificate is for; it becomes the key ID, which the instance's session record shows. */
  identity: string;
};

/**
 * Signs the engineer's key for the active grant: its principal only, valid from a minute ago until the
 * grant's end (sshd also refuses logins after it on its own: the principals file carries the same end).
 * Beside the certificate it writes a known_hosts file with sshd's host keys under the instance id, for ssh's
 * HostKeyAlias; without them from the agent it signs nothing, since ssh could not check sshd strictly.
 */
export async function signSupportKey(
  deps: SupportDeps,
  options: SignOptions,
): Promise<{ certificate: string; knownHosts: string; grant: ActiveGrant; validity: string }> {
  if (!/^[A-Za-z0-9._@+-]{1,64}$/.test(options.identity))
    throw new AppError('request.invalid', 'The identity may hold letters, digits and . _ @ + - only.');
  const now = deps.now();
  const grant = await activeGrant(deps.db, options.instanceId, now);
  const { client, credential } = await connectInstance(deps, options.instanceId);
  const hostKeys = await fetchHostKeys(client, credential);
  const validity = `${sshTime(new Date(now.getTime() - validFromSkewMs))}:${sshTime(grant.notAfter)}`;
  const out = options.out ?? `${options.publicKey.replace(/\.pub$/, '')}-cert.pub`;
  const knownHosts = join(dirname(out), `${options.instanceId}.known_hosts`);
  // ssh-keygen writes the certificate next to the key it signs: sign a copy in a folder of our own.
  const work = await mkdtemp(join(tmpdir(), 'claw-support-sign-'));
  try {
    const key = join(work, 'engineer.pub');
    await copyFile(options.publicKey, key);
    await run(
      'ssh-keygen',
      [
        '-q',
        '-s',
        options.caKey,
        '-I',
        `${options.identity} grant ${grant.id}`,
        '-n',
        grant.principal,
        '-V',
        validity,
        // A serial, so that a key revocation list can name this one certificate.
        '-z',
        String(randomInt(1, 2 ** 47)),
        key,
      ],
      { timeout: 120_000 },
    );
    await writeFile(out, await readFile(join(work, 'engineer-cert.pub')), { mode: 0o644 });
  } catch (cause) {
    if (cause instanceof AppError) throw cause;
    const detail = (cause as { stderr?: string }).stderr?.trim() || (cause as Error).message;
    throw new AppError('request.invalid', `ssh-keygen could not sign the key: ${detail}`, { cause });
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // ssh_config(5) HostKeyAlias: ssh looks the keys up under this name, whatever host it connects to.
  const lines = hostKeys.map((key) => `${options.instanceId} ${key}\n`);
  await writeFile(knownHosts, lines.join(''), { mode: 0o644 });
  return { certificate: out, knownHosts, grant, validity };
}
