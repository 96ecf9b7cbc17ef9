import { streamSSE } from 'hono/streaming';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { BOOTSTRAP_PROVIDERS, type BootstrapProvider } from '@claw/bootstrap';
import { errorResponses, jsonBody, jsonResponse } from '../http/api-schemas.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import { requireSession } from '../http/session-cookie.ts';
import { validationHook } from '../http/validation.ts';
import type { InstanceService } from '../instances/instance-service.ts';
import type { Provisioning } from './provisioning-service.ts';

const IdParam = z.object({ id: z.uuid() });
const terminal = new Set(['ready', 'failed', 'stopped', 'destroyed']);

export function createProvisioningRoutes(deps: { provisioning: Provisioning; instances: InstanceService }) {
  const { provisioning } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/instances',
      tags: ['instances'],
      summary: 'Deploy a new instance in your cloud account (the work continues in the background)',
      request: {
        body: jsonBody(
          z.object({
            name: z.string().trim().min(1).max(64),
            credentialId: z.uuid(),
            region: z.string().min(1).max(64),
            size: z.string().min(1).max(64),
          }),
        ),
      },
      responses: {
        202: jsonResponse(z.object({ instance: z.object({ id: z.uuid(), status: z.string() }) }), 'Accepted'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const row = await provisioning.deploy(requireSession(c), c.req.valid('json'), auditContext(c));
      return c.json({ instance: { id: row?.id ?? '', status: row?.status ?? 'requested' } }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/instances/{id}/actions',
      tags: ['instances'],
      summary: 'Stop, start, reboot or destroy a provisioned instance',
      request: {
        params: IdParam,
        body: jsonBody(z.object({ action: z.enum(['stop', 'start', 'reboot', 'destroy']) })),
      },
      responses: { 202: { description: 'Accepted' }, ...errorResponses },
    }),
    async (c) => {
      await provisioning.act(
        requireSession(c),
        c.req.valid('param').id,
        c.req.valid('json').action,
        auditContext(c),
      );
      return c.body(null, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/credentials/{id}/options',
      tags: ['instances'],
      summary: 'Regions and sizes (with monthly and hourly prices) this cloud connection can deploy',
      request: { params: IdParam },
      responses: {
        200: jsonResponse(
          z.object({ regions: z.array(z.unknown()), sizes: z.array(z.unknown()) }),
          'Options',
        ),
        ...errorResponses,
      },
    }),
    async (c) => c.json(await provisioning.options(requireSession(c), c.req.valid('param').id), 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/bootstrap/preview',
      tags: ['instances'],
      summary:
        'Exactly what will run on a new server (cloud-init user-data, per-instance secrets as placeholders)',
      request: {
        query: z.object({
          provider: z.enum(BOOTSTRAP_PROVIDERS as unknown as [BootstrapProvider, ...BootstrapProvider[]]),
        }),
      },
      responses: { 200: { description: '#cloud-config', content: { 'text/yaml': { schema: z.string() } } } },
    }),
    (c) =>
      c.text(provisioning.preview(c.req.valid('query').provider), 200, {
        'content-type': 'text/yaml; charset=utf-8',
      }),
  );

  // Live progress of one instance, as server-sent events, until it settles (bounded to 30 minutes).
  app.get('/api/instances/:id/progress', async (c) => {
    const session = requireSession(c);
    const id = IdParam.parse({ id: c.req.param('id') }).id;
    await deps.instances.get(session.user.id, id);
    return streamSSE(c, async (stream) => {
      let last = '';
      const deadline = Date.now() + 30 * 60_000;
      while (!stream.aborted && Date.now() < deadline) {
        const row = await deps.instances.get(session.user.id, id).catch(() => null);
        const state = row
          ? JSON.stringify({ status: row.status, failureReason: row.failureReason })
          : JSON.stringify({ status: 'destroyed' });
        if (state !== last) {
          last = state;
          await stream.writeSSE({ event: 'status', data: state });
        }
        if (!row || terminal.has(row.status)) break;
        await stream.sleep(1000);
      }
    });
  });

  return app;
}
