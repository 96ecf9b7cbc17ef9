// The agent's end of the recording: a unix socket only the support account can connect to (0600, owned by
// it). Each connection is one SSH session; what its recorder sends is appended to the audit log. A session is
// accepted only while a grant is active, and when the grant ends the agent closes every connection, which
// makes each recorder end its session (no recording, no session).
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { AuditLog } from './audit-log.ts';
import type { Grant } from './grant.ts';
import { ACK, MAX_LINE_BYTES } from './recorder-protocol.ts';
import type { RecorderMessage } from './recorder-protocol.ts';
import { certificateIdentity } from './ssh-wire.ts';

/** Per session and direction: beyond this the transcript is cut (marked once), the session goes on. */
export const MAX_TRANSCRIPT_BYTES = 8 * 1024 * 1024;
const START_TIMEOUT_MS = 10_000;

type Session = { id: string; socket: net.Socket; ended: boolean };

export type EndReason = 'exited' | 'disconnected' | 'expired' | 'revoked' | 'failed' | 'agent_stopped';

export type RecorderSink = ReturnType<typeof createRecorderSink>;

export function createRecorderSink(deps: {
  socketPath: string;
  audit: AuditLog;
  activeGrant: () => Grant | undefined;
  onSession: (event: 'support.session_started' | 'support.session_ended') => void;
}) {
  const sessions = new Map<string, Session>();
  const sockets = new Set<net.Socket>();

  function end(session: Session, reason: EndReason, exitCode: number | null = null): void {
    if (session.ended) return;
    session.ended = true;
    sessions.delete(session.id);
    deps.audit.append({ type: 'session.end', sessionId: session.id, reason, exitCode });
    deps.onSession('support.session_ended');
  }

  function start(socket: net.Socket, message: RecorderMessage): Session | undefined {
    const grant = deps.activeGrant();
    if (message.t !== 'start' || grant === undefined) return undefined;
    const certificate = certificateIdentity(/^publickey (\S+ \S+)/.exec(message.auth ?? '')?.[1] ?? '');
    const session: Session = { id: crypto.randomBytes(8).toString('hex'), socket, ended: false };
    sessions.set(session.id, session);
    deps.audit.append({
      type: 'session.start',
      sessionId: session.id,
      grantId: grant.grantId,
      principal: grant.principal,
      certificateKeyId: certificate?.keyId ?? null,
      certificateSerial: certificate?.serial ?? null,
      // Client address and port only; the server half of SSH_CONNECTION says nothing new.
      client: (message.connection ?? '').split(' ').slice(0, 2).join(' ').slice(0, 100),
      tty: message.tty === true,
      command: typeof message.command === 'string' ? message.command : null,
    });
    deps.onSession('support.session_started');
    socket.write(ACK);
    return session;
  }

  function handle(socket: net.Socket): void {
    let session: Session | undefined;
    let buffered = '';
    const recorded = { in: 0, out: 0 };
    const truncated = { in: false, out: false };

    function onMessage(message: RecorderMessage): void {
      if (session === undefined) {
        session = start(socket, message);
        if (session === undefined) socket.destroy();
        else socket.setTimeout(0);
        return;
      }
      if (message.t === 'end')
        return end(session, 'exited', typeof message.code === 'number' ? message.code : null);
      if ((message.t !== 'in' && message.t !== 'out') || typeof message.d !== 'string') return;
      const direction = message.t;
      recorded[direction] += Buffer.byteLength(message.d);
      if (recorded[direction] <= MAX_TRANSCRIPT_BYTES) {
        deps.audit.append({
          type: direction === 'in' ? 'input' : 'output',
          sessionId: session.id,
          text: message.d,
        });
      } else if (!truncated[direction]) {
        truncated[direction] = true;
        deps.audit.append({ type: 'transcript.truncated', sessionId: session.id, stream: direction });
      }
    }

    sockets.add(socket);
    // A connection that does not start a session within the timeout is dropped.
    socket.setTimeout(START_TIMEOUT_MS, () => socket.destroy());
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (Buffer.byteLength(buffered) > MAX_LINE_BYTES + 1) return void socket.destroy();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0 && !socket.destroyed) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        try {
          onMessage(JSON.parse(line) as RecorderMessage);
        } catch {
          socket.destroy();
        }
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      if (session !== undefined) end(session, 'disconnected');
    });
  }

  const server = net.createServer(handle);

  return {
    async listen(): Promise<void> {
      fs.mkdirSync(path.dirname(deps.socketPath), { recursive: true, mode: 0o755 });
      fs.rmSync(deps.socketPath, { force: true });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(deps.socketPath, () => resolve());
      });
      fs.chmodSync(deps.socketPath, 0o600);
    },
    /** Lets the support account (and only it, besides root) connect. */
    permit(uid: number): void {
      fs.chownSync(deps.socketPath, uid, -1);
    },
    live: (): number => sessions.size,
    /** Records why each live session ends and drops its connection; its recorder then ends the session. */
    /** Returns how many sessions were live. */
    endAll(reason: EndReason): number {
      const live = [...sessions.values()];
      for (const session of live) {
        end(session, reason);
        session.socket.destroy();
      }
      return live.length;
    },
    close(): Promise<void> {
      return new Promise((resolve) => {
        server.close(() => resolve());
        for (const session of [...sessions.values()]) end(session, 'agent_stopped');
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
