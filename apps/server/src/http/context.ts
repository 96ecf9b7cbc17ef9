import type { Context } from 'hono';
import { coarseIp } from './client-info.ts';
import type { ActiveSession } from '../auth/session-service.ts';

export type Client = { ip: string | null; agent: string | null };

/** What middleware puts on each request for the handlers after it. */
export type AppEnv = {
  Variables: {
    requestId: string;
    client: Client;
    session: ActiveSession | null;
  };
};

/** The request metadata every audit event carries. */
export function auditContext(c: Context<AppEnv>): {
  requestId: string;
  clientIp: string | null;
  clientAgent: string | null;
} {
  const client = c.get('client');
  return { requestId: c.get('requestId'), clientIp: coarseIp(client.ip), clientAgent: client.agent };
}
