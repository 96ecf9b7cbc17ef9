import type { IncomingMessage } from 'node:http';
import { request } from 'node:https';
import { AppError } from '@claw/core';
import { openUpstream, type Upstream } from '../proxy/upstream-handshake.ts';
import { pinnedTls } from './agent-tls.ts';

export type AgentEndpoint = { url: string; certificatePem: string; fingerprint: string };

export type AgentHealth = {
  ok: boolean;
  agentVersion: string | null;
  gateway: { ready: boolean; version: string | null };
};

const requestTimeoutMs = 10_000;

function call(
  endpoint: AgentEndpoint,
  method: string,
  path: string,
  options: { credential?: string; body?: string } = {},
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, endpoint.url), {
      method,
      ...pinnedTls(endpoint.certificatePem, endpoint.fingerprint),
      timeout: requestTimeoutMs,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(options.credential ? { authorization: `Bearer ${options.credential}` } : {}),
      },
    });
    req.once('response', resolve);
    req.once('timeout', () =>
      req.destroy(new AppError('instance.agent_unreachable', 'The instance did not answer in time.')),
    );
    req.once('error', (cause) =>
      reject(
        cause instanceof AppError
          ? cause
          : new AppError('instance.agent_unreachable', 'Could not reach the instance.', { cause }),
      ),
    );
    req.end(options.body);
  });
}

export async function readJson(response: IncomingMessage, limit = 64 * 1024): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit)
      throw new AppError('instance.agent_unreachable', 'The instance sent an oversized answer.');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new AppError('instance.agent_unreachable', 'The instance sent an answer that is not JSON.');
  }
}

const versionLike = (value: unknown) =>
  typeof value === 'string' && /^[0-9A-Za-z.+-]{1,32}$/.test(value) ? value : null;

function toHealth(body: unknown): AgentHealth {
  const b = (body ?? {}) as {
    ok?: unknown;
    agentVersion?: unknown;
    gateway?: { ready?: unknown; version?: unknown };
  };
  return {
    ok: b.ok === true,
    agentVersion: versionLike(b.agentVersion),
    gateway: { ready: b.gateway?.ready === true, version: versionLike(b.gateway?.version) },
  };
}

/** Talks to one agent over TLS pinned to its certificate. */
export function createAgentClient(endpoint: AgentEndpoint) {
  return {
    /** One-time adoption: hands the agent the credential it will require from us from now on. */
    async register(code: string, credential: string): Promise<AgentHealth> {
      const response = await call(endpoint, 'POST', '/register', {
        body: JSON.stringify({ code, credential }),
      });
      const body = await readJson(response);
      if (response.statusCode !== 200) {
        throw new AppError(
          'instance.registration_refused',
          response.statusCode === 409
            ? 'This agent is already registered. Reset its state to adopt it again.'
            : 'The instance refused the registration code (wrong, used or expired).',
        );
      }
      return toHealth({ ok: true, ...(body as object) });
    },

    async health(): Promise<AgentHealth> {
      const response = await call(endpoint, 'GET', '/healthz');
      return toHealth(await readJson(response));
    },

    /** An authenticated call to one of the agent's other routes (support access); the caller reads the answer. */
    call(credential: string, method: string, path: string, body?: unknown): Promise<IncomingMessage> {
      return call(
        endpoint,
        method,
        path,
        body === undefined ? { credential } : { credential, body: JSON.stringify(body) },
      );
    },

    /** The SSE chat pipe; the caller streams the response through. */
    chatCompletions(credential: string, body: string): Promise<IncomingMessage> {
      return call(endpoint, 'POST', '/v1/chat/completions', { credential, body });
    },

    /**
     * Opens the WebSocket pipe to the gateway (the upgrade of `/gateway`, pinned and with the credential);
     * the proxy then passes the browser's own frames through it.
     */
    openGateway(credential: string): Upstream {
      return openUpstream(
        new URL('/gateway', endpoint.url),
        pinnedTls(endpoint.certificatePem, endpoint.fingerprint),
        credential,
      );
    },
  };
}

export type AgentClient = ReturnType<typeof createAgentClient>;
