// The support engineer's way to sshd (docs/support-tunnel.md). sshd listens on loopback only and the instance's
// one open port is the agent's; `GET /support/tunnel` with `Upgrade: claw-support-ssh` turns an authenticated
// request into a raw byte stream to sshd, like CONNECT (RFC 9110 §9.3.6) but to one fixed address, and only
// while a grant is active. sshd still decides every login; the tunnel only carries its bytes. Every tunnel is
// cut when the grant ends, so an open connection cannot outlive it even before sshd's session is killed.
import crypto from 'node:crypto';
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { rejectUpgrade } from '../http-util.ts';
import type { Log } from '../logger.ts';
import type { AuditRecord } from './audit-log.ts';

export const TUNNEL_PATH = '/support/tunnel';
export const TUNNEL_PROTOCOL = 'claw-support-ssh';

const LIMITS = {
  maxTunnels: 8,
  connectTimeoutMs: 10_000,
  // After one side has ended, the other has this long to flush what it still holds before it is cut.
  lingerMs: 5_000,
};

export type TunnelEnd = 'client_closed' | 'sshd_closed' | 'grant_ended' | 'agent_stopped' | 'error';
export type SupportTunnels = ReturnType<typeof createSupportTunnels>;

function upgradesToTunnel(req: http.IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').trim().toLowerCase() === TUNNEL_PROTOCOL;
}

export function createSupportTunnels(deps: {
  sshAddress: Readonly<{ host: string; port: number }>;
  /** The grant that currently allows support access, if any. */
  activeGrant: () => { grantId: string } | undefined;
  /** Into the support record the user sees (audit-log.ts): when a tunnel opened, closed, and its size. */
  record: (entry: AuditRecord) => void;
  log: Log;
  now: () => number;
}) {
  const limits = LIMITS;
  // Each live tunnel (connecting or open) by the function that cuts it.
  const live = new Set<(reason: TunnelEnd) => void>();

  function refuse(socket: Duplex, status: number, code: string): void {
    deps.log({ event: 'support.tunnel_refused', status, errorCode: code });
    rejectUpgrade(socket, status, code);
  }

  function open(client: Duplex, head: Buffer, grantId: string): void {
    const connId = crypto.randomBytes(8).toString('hex');
    const started = deps.now();
    const bytes = { in: 0, out: 0 };
    let opened = false;
    let ended: TunnelEnd | undefined;
    const sshd = net.connect(deps.sshAddress);
    sshd.setNoDelay(true);
    const timeout = setTimeout(
      () => sshd.destroy(Object.assign(new Error(), { code: 'ETIMEDOUT' })),
      limits.connectTimeoutMs,
    );

    function finish(reason: TunnelEnd): void {
      if (!live.has(cut)) return;
      live.delete(cut);
      clearTimeout(timeout);
      if (!opened) return;
      const size = { bytesIn: bytes.in, bytesOut: bytes.out, ms: deps.now() - started };
      deps.record({ type: 'tunnel.closed', grantId, tunnelId: connId, ...size, reason });
      deps.log({ event: 'support.tunnel_closed', connId, grantId, ...size, reason });
    }
    function cut(reason: TunnelEnd): void {
      client.destroy();
      sshd.destroy();
      finish(reason);
    }
    live.add(cut);

    // Until sshd answers, the client's bytes stay buffered in its socket (flow control bounds them).
    client.on('error', () => cut('error'));
    client.once('close', () => {
      if (!opened) return cut('client_closed');
      ended ??= 'client_closed';
      sshd.end();
      setTimeout(() => cut(ended ?? 'client_closed'), limits.lingerMs).unref();
      if (sshd.destroyed) finish(ended);
    });
    sshd.once('error', (err: NodeJS.ErrnoException) => {
      if (opened) return cut('error');
      finish('error');
      if (err.code === 'ETIMEDOUT') refuse(client, 504, 'sshd_timeout');
      else refuse(client, 502, 'sshd_unreachable');
    });
    sshd.once('close', () => {
      if (!opened) return;
      ended ??= 'sshd_closed';
      client.end();
      setTimeout(() => cut(ended ?? 'sshd_closed'), limits.lingerMs).unref();
      if (client.destroyed) finish(ended);
    });
    sshd.once('connect', () => {
      clearTimeout(timeout);
      opened = true;
      client.write(
        `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${TUNNEL_PROTOCOL}\r\n\r\n`,
      );
      // `client` as sshd will report it in the session's start (SSH_CONNECTION): the tunnel's end at sshd.
      deps.record({
        type: 'tunnel.opened',
        grantId,
        tunnelId: connId,
        client: `${sshd.localAddress} ${sshd.localPort}`,
      });
      deps.log({ event: 'support.tunnel_opened', connId, grantId });
      // What the client sent right behind its request (e.g. the SSH banner) goes first; it was held until now.
      bytes.in += head.length;
      if (head.length > 0) sshd.write(head);
      client.on('data', (chunk: Buffer) => (bytes.in += chunk.length));
      sshd.on('data', (chunk: Buffer) => (bytes.out += chunk.length));
      client.pipe(sshd);
      sshd.pipe(client);
    });
  }

  return {
    /** For an authenticated upgrade of TUNNEL_PATH; answers it itself (101 and the stream, or an error). */
    accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
      if (!upgradesToTunnel(req)) return refuse(socket, 400, 'invalid_request');
      const grant = deps.activeGrant();
      // 409: the request is right, the instance's state (no grant open) is what refuses it.
      if (grant === undefined) return refuse(socket, 409, 'no_active_grant');
      if (live.size >= limits.maxTunnels) return refuse(socket, 503, 'tunnel_limit');
      open(socket, head, grant.grantId);
    },
    /** Cuts every tunnel at once (grant revoked or expired, agent stopping); returns how many. */
    endAll(reason: TunnelEnd): number {
      const count = live.size;
      for (const cut of [...live]) cut(reason);
      return count;
    },
    live: () => live.size,
  };
}
