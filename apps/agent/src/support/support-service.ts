// Support access on the instance: opens a grant (sshd trusts the support CA for one principal, until notAfter),
// closes it at revoke or expiry (trust deleted, sshd reloaded, every support session killed and checked gone),
// and keeps the recording. One timer, for the active grant's expiry, is armed from the grant store at start,
// so an expiry that fell while the agent was down is enforced as soon as it is back (sshd itself has refused
// logins since then: the principals file carries expiry-time).
import path from 'node:path';
import type { Log } from '../logger.ts';
import { errorCodeOf } from '../logger.ts';
import { openAuditLog, verifyAuditLog } from './audit-log.ts';
import type { AuditEntry } from './audit-log.ts';
import { createGrantStore } from './grant-store.ts';
import type { Grant, GrantRequest } from './grant.ts';
import { newGrant } from './grant.ts';
import { createRecorderSink } from './recorder-sink.ts';
import { killSessions, uidOf } from './session-killer.ts';
import { sshdHostKeys } from './sshd-host-keys.ts';
import { createSshdTrust } from './sshd-trust.ts';
import type { SupportConfig } from './support-config.ts';
import { SupportError } from './support-error.ts';
import { createSupportTunnels } from './support-tunnel.ts';

/** failed: sshd could not be configured for it (at open or at start); its trust is withdrawn. */
type CloseReason = 'revoked' | 'expired' | 'failed';
export type Support = Awaited<ReturnType<typeof createSupport>>;

/** The ForceCommand line: this Node and this checkout's recorder, so the agent and recorder always match. */
function recorderCommand(config: SupportConfig): string {
  return [process.execPath, path.join(import.meta.dirname, 'recorder-main.ts'), config.socket].join(' ');
}

export async function createSupport(deps: {
  config: SupportConfig;
  stateDir: string;
  log: Log;
  now: () => number;
}) {
  const { config, log, now } = deps;
  const store = createGrantStore(deps.stateDir);
  const audit = openAuditLog(path.join(store.dir, 'sessions.jsonl'), now);
  const trust = createSshdTrust(config, recorderCommand(config));
  let active: Grant | undefined = store.load();
  let timer: NodeJS.Timeout | undefined;
  /** The grant that allows access right now: stored and not yet past its end. */
  const current = () => (active !== undefined && active.notAfter > now() ? active : undefined);
  const sink = createRecorderSink({
    socketPath: config.socket,
    audit,
    activeGrant: current,
    onSession: (event) => log({ event, grantId: active?.grantId }),
  });
  const tunnels = createSupportTunnels({
    sshAddress: config.sshAddress,
    activeGrant: current,
    record: (entry) => audit.append(entry),
    log,
    now,
  });

  // Grant, revoke and expiry never interleave: each waits for the one before.
  let queue: Promise<unknown> = Promise.resolve();
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  }

  function arm(): void {
    clearTimeout(timer);
    if (active === undefined) return;
    // setTimeout may fire a little early or late; expire() re-arms when it is early.
    timer = setTimeout(() => void serial(expire), Math.max(0, active.notAfter - now()));
    timer.unref();
  }

  async function expire(): Promise<void> {
    if (active === undefined) return;
    if (active.notAfter > now()) return arm();
    const { grantId } = active;
    try {
      await close('expired');
    } catch (err) {
      log({ event: 'support.close_failed', errorCode: errorCodeOf(err), grantId });
    }
  }

  /**
   * Trust first (the next login fails at once), then the tunnels (no connection to sshd is left), then the
   * sessions, then sshd forgets the Match block.
   */
  async function close(reason: CloseReason) {
    const grant = active;
    const hadDropIn = trust.withdraw();
    store.clear();
    active = undefined;
    clearTimeout(timer);
    const tunnelsCut = tunnels.endAll('grant_ended');
    const sessionsEnded = sink.endAll(reason);
    let killed = { killed: 0, ms: 0 };
    let failure: unknown;
    try {
      killed = await killSessions(config.user);
    } catch (err) {
      failure = err;
    }
    if (grant !== undefined) {
      audit.append({
        type: `grant.${reason}`,
        grantId: grant.grantId,
        sessionsEnded,
        processesKilled: killed.killed,
        tunnelsCut,
      });
      log({ event: `support.${reason}`, grantId: grant.grantId, count: killed.killed, ms: killed.ms });
    }
    if (hadDropIn) await trust.reload();
    if (failure !== undefined) throw failure;
    return { sessionsEnded, processesKilled: killed.killed, killMs: killed.ms };
  }

  async function open(request: GrantRequest): Promise<Grant> {
    if (active !== undefined && active.notAfter > now()) throw new SupportError('grant_active');
    if (active !== undefined) await close('expired');
    const uid = await uidOf(config.user);
    if (uid === undefined || uid === 0) throw new SupportError('support_user_missing');
    const grant = newGrant(request, now());
    // Stored before sshd trusts it: a crash in between leaves a grant that the next start finishes or expires.
    store.save(grant);
    active = grant;
    try {
      sink.permit(uid);
      await trust.install(grant);
    } catch (err) {
      await close('failed').catch(() => undefined);
      throw err;
    }
    audit.append({
      type: 'grant.opened',
      grantId: grant.grantId,
      principal: grant.principal,
      notAfter: new Date(grant.notAfter).toISOString(),
      admin: grant.admin,
      sourceAddresses: grant.sourceAddresses,
      caPublicKey: grant.caPublicKey,
    });
    log({ event: 'support.granted', grantId: grant.grantId });
    arm();
    return grant;
  }

  /** At start: finish what the store says (re-install or expire), or make sure nothing of ours is left. */
  async function reconcile(): Promise<void> {
    if (active !== undefined && active.notAfter > now()) {
      try {
        const uid = await uidOf(config.user);
        if (uid !== undefined) sink.permit(uid);
        await trust.install(active);
        arm();
      } catch (err) {
        // Fail closed, and keep the agent up: the rest of it does not depend on support access.
        log({ event: 'support.reinstall_failed', errorCode: errorCodeOf(err), grantId: active.grantId });
        await close('failed');
      }
    } else if (active !== undefined) {
      await close('expired');
    } else {
      const hadDropIn = trust.withdraw();
      await killSessions(config.user);
      if (hadDropIn) await trust.reload();
    }
  }

  await sink.listen();
  await serial(reconcile);

  return {
    grant: (request: GrantRequest) => serial(() => open(request)),
    revoke: (grantId: string) =>
      serial(async () => {
        if (active === undefined || active.grantId !== grantId) throw new SupportError('not_found');
        return { grantId, ...(await close('revoked')) };
      }),
    /** After any grant, revoke or expiry in progress, so the answer is never half-way through one. */
    state: () =>
      serial(async () => ({
        grant: current(),
        liveSessions: sink.live(),
      })),
    /** sshd's host public keys, during a grant only: like the tunnel they are for, they exist for it alone. */
    hostKeys: () =>
      serial(async () => {
        if (current() === undefined) throw new SupportError('no_active_grant');
        return sshdHostKeys(config);
      }),
    /** Opens the SSH tunnel of an authenticated upgrade request, if a grant is active (support-tunnel.ts). */
    acceptTunnel: tunnels.accept,
    /** Entries with seq >= `from` (at most `limit`), and the verification of the whole chain. */
    readLog(
      from: number,
      limit: number,
    ): { entries: AuditEntry[]; verification: ReturnType<typeof verifyAuditLog> } {
      const text = audit.read();
      const entries: AuditEntry[] = [];
      for (const line of text.split('\n')) {
        if (entries.length >= limit) break;
        try {
          const entry = JSON.parse(line) as AuditEntry;
          if (entry.seq >= from) entries.push(entry);
        } catch {
          // shown by the verification below, with its position
        }
      }
      return { entries, verification: verifyAuditLog(text) };
    },
    /** Cuts the tunnels, whose sockets would otherwise keep the agent's server from closing. */
    endTunnels: () => tunnels.endAll('agent_stopped'),
    async close(): Promise<void> {
      clearTimeout(timer);
      tunnels.endAll('agent_stopped');
      await queue;
      await sink.close();
      audit.close();
    },
  };
}
