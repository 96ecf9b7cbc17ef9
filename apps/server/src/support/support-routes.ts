import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Logger } from '@claw/logger';
import { requireRecentAuthentication } from '../credentials/step-up.ts';
import { countedRelay } from '../http/counted-relay.ts';
import { errorResponses, jsonBody, jsonResponse } from '../http/api-schemas.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import { requireSession } from '../http/session-cookie.ts';
import { validationHook } from '../http/validation.ts';
import { maxGrantSeconds, minGrantSeconds, type SupportService } from './support-service.ts';

const Grant = z
  .object({
    id: z.uuid(),
    principal: z.string(),
    admin: z.boolean(),
    notAfter: z.iso.datetime(),
    createdAt: z.iso.datetime(),
    state: z.enum(['active', 'revoked', 'expired', 'gone']),
    endedAt: z.iso.datetime().nullable(),
  })
  .openapi('SupportGrant');

const SupportState = z
  .object({
    available: z.boolean(),
    caFingerprint: z.string().nullable(),
    grant: Grant.nullable(),
    liveSessions: z.number().int().nullable(),
  })
  .openapi('SupportState');

const IdParam = z.object({ id: z.uuid() });
const logPage = { default: 500, max: 2000 };

export function createSupportRoutes(deps: { support: SupportService; stepUpMs: number; log: Logger }) {
  const { support, log } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/instances/{id}/support',
      tags: ['support'],
      summary: 'Support access on this instance: the latest grant, its state and live sessions',
      request: { params: IdParam },
      responses: { 200: jsonResponse(SupportState, 'Support access'), ...errorResponses },
    }),
    async (c) => c.json(await support.state(requireSession(c).user.id, c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/instances/{id}/support',
      tags: ['support'],
      summary:
        'Open support access for a bounded time (needs a recent password confirmation); ends by itself',
      request: {
        params: IdParam,
        body: jsonBody(
          z.object({
            durationSeconds: z
              .number()
              .int()
              .min(minGrantSeconds)
              .max(maxGrantSeconds)
              .default(maxGrantSeconds),
            admin: z.boolean().default(false),
          }),
        ),
      },
      responses: { 201: jsonResponse(z.object({ grant: Grant }), 'Granted'), ...errorResponses },
    }),
    async (c) => {
      const session = requireSession(c);
      requireRecentAuthentication(session, deps.stepUpMs);
      const grant = await support.grant(
        session.user.id,
        c.req.valid('param').id,
        c.req.valid('json'),
        auditContext(c),
      );
      return c.json({ grant }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/instances/{id}/support/{grantId}',
      tags: ['support'],
      summary: 'Revoke support access at once: trust removed, live sessions ended',
      request: { params: z.object({ id: z.uuid(), grantId: z.uuid() }) },
      responses: { 200: jsonResponse(z.object({ grant: Grant }), 'Revoked'), ...errorResponses },
    }),
    async (c) => {
      const session = requireSession(c);
      const { id, grantId } = c.req.valid('param');
      const grant = await support.revoke(session.user.id, id, grantId, auditContext(c));
      return c.json({ grant }, 200);
    },
  );

  // Relayed from the instance as it comes: the control plane neither parses nor stores the session log.
  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/instances/{id}/support/log',
      tags: ['support'],
      summary:
        "The instance's support session log (hash-chained, with its verification), fetched live, never stored",
      request: {
        params: IdParam,
        query: z.object({
          from: z.coerce.number().int().min(0).default(0),
          limit: z.coerce.number().int().min(1).max(logPage.max).default(logPage.default),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({
            entries: z.array(z.record(z.string(), z.unknown())),
            verification: z.record(z.string(), z.unknown()),
          }),
          'Log entries from `from`, and whether the whole chain verifies',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const { id } = c.req.valid('param');
      const { from, limit } = c.req.valid('query');
      const upstream = await support.logStream(session.user.id, id, from, limit);
      const relayed = countedRelay(upstream, c.req.raw.signal, (bytesOut) =>
        log.info({ event: 'support.log_relayed', userId: session.user.id, instanceId: id, bytesOut }),
      );
      return new Response(relayed, {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      }) as never;
    },
  );

  return app;
}
