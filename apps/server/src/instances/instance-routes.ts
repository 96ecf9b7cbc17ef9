import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '@claw/core';
import type { Logger } from '@claw/logger';
import { countedRelay } from '../http/counted-relay.ts';
import { errorResponses, jsonBody, jsonResponse } from '../http/api-schemas.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import { requireSession } from '../http/session-cookie.ts';
import { validationHook } from '../http/validation.ts';
import type { InstanceRow, InstanceService } from './instance-service.ts';
import type { Tickets } from './tickets.ts';

const Instance = z
  .object({
    id: z.uuid(),
    name: z.string(),
    provider: z.string(),
    status: z.string(),
    region: z.string().nullable(),
    size: z.string().nullable(),
    agentUrl: z.string().nullable(),
    agentFingerprint: z.string().nullable(),
    agentVersion: z.string().nullable(),
    openclawVersion: z.string().nullable(),
    priceMonthly: z
      .object({ amount: z.number(), currency: z.enum(['USD', 'EUR']), estimate: z.boolean() })
      .nullable()
      .openapi({ description: 'The monthly price shown at deploy (a snapshot); null for an adopted server' }),
    createdAt: z.iso.datetime(),
  })
  .openapi('Instance');

function priceOf(row: InstanceRow): z.infer<typeof Instance>['priceMonthly'] {
  if (row.priceMonthlyCents === null || row.priceCurrency === null || row.priceIsEstimate === null)
    return null;
  return { amount: row.priceMonthlyCents / 100, currency: row.priceCurrency, estimate: row.priceIsEstimate };
}

const toInstance = (row: InstanceRow): z.infer<typeof Instance> => ({
  id: row.id,
  name: row.name,
  provider: row.provider,
  status: row.status,
  region: row.region,
  size: row.size,
  agentUrl: row.agentUrl,
  agentFingerprint: row.agentFingerprint,
  agentVersion: row.agentVersion,
  openclawVersion: row.openclawVersion,
  priceMonthly: priceOf(row),
  createdAt: row.createdAt.toISOString(),
});

const IdParam = z.object({ id: z.uuid() });

export type InstanceRoutesDeps = {
  instances: InstanceService;
  tickets: Tickets;
  log: Logger;
  maxChatBodyBytes: number;
};

export function createInstanceRoutes(deps: InstanceRoutesDeps) {
  const { instances, tickets, log } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/instances',
      tags: ['instances'],
      summary: "The signed-in user's instances",
      responses: {
        200: jsonResponse(z.object({ instances: z.array(Instance) }), 'Instances'),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ instances: (await instances.list(requireSession(c).user.id)).map(toInstance) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/instances/adopt',
      tags: ['instances'],
      summary:
        'Adopt a server you run: its agent URL, certificate fingerprint and one-time registration code',
      request: {
        body: jsonBody(
          z.object({
            name: z.string().trim().min(1).max(64),
            agentUrl: z.string().min(1).max(512),
            fingerprint: z.string().min(1).max(200),
            registrationCode: z.string().min(1).max(200),
          }),
        ),
      },
      responses: { 201: jsonResponse(z.object({ instance: Instance }), 'Adopted'), ...errorResponses },
    }),
    async (c) => {
      const session = requireSession(c);
      const row = await instances.adopt(session.user.id, c.req.valid('json'), auditContext(c));
      return c.json({ instance: toInstance(row) }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/instances/{id}',
      tags: ['instances'],
      summary: 'One instance',
      request: { params: IdParam },
      responses: { 200: jsonResponse(z.object({ instance: Instance }), 'The instance'), ...errorResponses },
    }),
    async (c) => {
      const row = await instances.get(requireSession(c).user.id, c.req.valid('param').id);
      return c.json({ instance: toInstance(row) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/instances/{id}/health',
      tags: ['instances'],
      summary: "Live health of the instance's agent and gateway, with their versions",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(
          z.object({
            health: z.object({
              ok: z.boolean(),
              agentVersion: z.string().nullable(),
              gateway: z.object({ ready: z.boolean(), version: z.string().nullable() }),
            }),
          }),
          'Health, fetched live from the instance',
        ),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ health: await instances.health(requireSession(c).user.id, c.req.valid('param').id) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/instances/{id}',
      tags: ['instances'],
      summary: 'Forget an adopted instance (the server itself is untouched)',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' }, ...errorResponses },
    }),
    async (c) => {
      await instances.remove(requireSession(c).user.id, c.req.valid('param').id, auditContext(c));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/instances/{id}/tickets',
      tags: ['instances'],
      summary:
        'A single-use ticket (60 s) for opening the chat WebSocket /api/instances/{id}/gateway?ticket=…',
      request: { params: IdParam },
      responses: {
        201: jsonResponse(z.object({ ticket: z.string(), expiresAt: z.iso.datetime() }), 'Ticket'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const row = await instances.get(session.user.id, c.req.valid('param').id);
      const { ticket, expiresAt } = await tickets.issue(session.user.id, row.id);
      return c.json({ ticket, expiresAt: expiresAt.toISOString() }, 201);
    },
  );

  // The SSE chat pipe: the body is passed to the instance unread and the event stream passed back unbuffered.
  app.post(
    '/api/instances/:id/chat/completions',
    bodyLimit({
      maxSize: deps.maxChatBodyBytes,
      onError: () => {
        throw new AppError(
          'request.too_large',
          `A chat request may be at most ${deps.maxChatBodyBytes} bytes.`,
        );
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const id = IdParam.safeParse({ id: c.req.param('id') });
      if (!id.success) throw new AppError('not_found', 'No such instance.');
      const row = await instances.get(session.user.id, id.data.id);
      const { client, credential } = await instances.connect(row);
      const started = performance.now();
      const body = await c.req.text();
      const upstream = await client.chatCompletions(credential, body);
      const relayed = countedRelay(upstream, c.req.raw.signal, (bytesOut) =>
        log.info({
          event: 'proxy.sse_closed',
          userId: session.user.id,
          instanceId: row.id,
          status: upstream.statusCode ?? 0,
          bytesIn: Buffer.byteLength(body),
          bytesOut,
          ms: Math.round(performance.now() - started),
        }),
      );
      return new Response(relayed, {
        status: upstream.statusCode ?? 502,
        headers: {
          'content-type': upstream.headers['content-type'] ?? 'text/event-stream',
          'cache-control': 'no-store',
          'x-accel-buffering': 'no',
        },
      });
    },
  );

  return app;
}
