import { timingSafeEqual } from 'node:crypto';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { schema, type Db } from '@claw/db';
import { describeError, type Logger } from '@claw/logger';
import type { AppEnv } from '../http/context.ts';
import { jsonBody } from '../http/api-schemas.ts';
import { validationHook } from '../http/validation.ts';
import { provisionedAgentUrl } from '../instances/agent-address.ts';
import { normaliseFingerprint } from '../instances/agent-tls.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import { hashCode } from './workflow.ts';

const { instances } = schema;

const Callback = z.object({
  instanceId: z.uuid(),
  registrationCode: z.string().min(22).max(128),
  fingerprint: z.string().min(1).max(200),
  adoptionCode: z.string().min(1).max(200),
  agentVersion: z.string().max(32).optional(),
  openclawVersion: z.string().max(32).nullable().optional(),
});

/**
 * The first call of a server we created: its agent says "I am up, this is my certificate's fingerprint
 * and my own adoption code", authenticated by the one-time registration code from its user-data. We then
 * adopt it exactly like a server the user brings: at the address the cloud provider gave us (never one the
 * caller names), checking the fingerprint before sending it the instance credential (ADR 0007).
 */
export function createAgentCallbackRoutes(deps: {
  db: Db;
  instances: InstanceService;
  log: Logger;
  agentPort: number;
  allowPrivateNetworks: boolean;
}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/agent/register',
      tags: ['agent'],
      summary: "A new server's agent calls back with its one-time registration code (no session; no Origin)",
      request: { body: jsonBody(Callback) },
      responses: {
        200: { description: 'Adopted' },
        401: { description: 'Unknown, spent or expired code' },
        503: { description: 'Not ready for it yet (the server has no known address); retry' },
      },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const [row] = await deps.db.select().from(instances).where(eq(instances.id, input.instanceId));
      const presented = hashCode(input.registrationCode);
      const valid =
        row?.registrationCodeHash &&
        row.registrationExpiresAt &&
        row.registrationExpiresAt > new Date() &&
        timingSafeEqual(row.registrationCodeHash, presented);
      if (!row || !valid) return c.json({ error: 'refused' }, 401);
      const fingerprint = normaliseFingerprint(input.fingerprint);
      if (!fingerprint) return c.json({ error: 'refused' }, 400);
      if (!row.publicAddress) return c.json({ error: 'not yet' }, 503);
      try {
        const url = await provisionedAgentUrl(row.publicAddress, deps.agentPort, deps.allowPrivateNetworks);
        const enrolled = await deps.instances.enrolAgent({
          userId: row.userId,
          instanceId: row.id,
          url,
          fingerprint,
          code: input.adoptionCode,
        });
        // Spending the code and recording the agent happen together: a replayed callback finds no code.
        // The workflow, polling, marks the instance ready once the agent reports its gateway ready.
        const [updated] = await deps.db
          .update(instances)
          .set({
            ...enrolled.fields,
            registrationCodeHash: null,
            registrationExpiresAt: null,
            updatedAt: new Date(),
          })
          .where(and(eq(instances.id, row.id), eq(instances.registrationCodeHash, presented)))
          .returning();
        if (!updated) return c.json({ error: 'refused' }, 401);
        return c.json({ ok: true }, 200);
      } catch (error) {
        deps.log.warn({ event: 'agent.callback_failed', instanceId: row.id, ...describeError(error) });
        return c.json({ error: 'not yet' }, 503);
      }
    },
  );
  return app;
}
