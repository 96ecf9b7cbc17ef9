import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { getConnInfo } from '@hono/node-server/conninfo';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { AppError } from '@claw/core';
import type { Logger } from '@claw/logger';
import { coarseUserAgent } from './client-info.ts';
import type { AppEnv } from './context.ts';
import { csrfGuard } from './csrf.ts';
import { createErrorHandler, errorBody } from './errors.ts';
import { securityHeaders } from './security-headers.ts';

export type HttpModule = OpenAPIHono<AppEnv>;

export type AppOptions = {
  log: Logger;
  https: boolean;
  bodyLimitBytes: number;
  /** API paths whose routes set their own body limit. */
  ownBodyLimit: RegExp;
  trustProxy: boolean;
  webDir: string;
  allowedOrigins: () => ReadonlySet<string>;
  /** Runs before the API modules (session resolution). */
  apiMiddleware: MiddlewareHandler<AppEnv>[];
  modules: HttpModule[];
};

function clientAddress(c: Context<AppEnv>, trustProxy: boolean): string | null {
  if (trustProxy) {
    const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
    if (forwarded) return forwarded;
  }
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    // In-process requests (app.request in tests) have no socket.
    return null;
  }
}

export function createApp(options: AppOptions): OpenAPIHono<AppEnv> {
  const { log } = options;
  const app = new OpenAPIHono<AppEnv>();

  app.use(async (c, next) => {
    const started = performance.now();
    const requestId = randomUUID();
    c.set('requestId', requestId);
    const address = clientAddress(c, options.trustProxy);
    c.set('client', { ip: address, agent: coarseUserAgent(c.req.header('user-agent')) });
    c.set('session', null);
    c.header('X-Request-Id', requestId);
    await next();
    // The route pattern, never the URL: paths and query strings can carry identifiers or tokens.
    log.info({
      event: 'http.request',
      requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
      userId: c.get('session')?.user.id ?? null,
    });
  });
  app.use(securityHeaders({ https: options.https }));
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  const limitBody = bodyLimit({
    maxSize: options.bodyLimitBytes,
    onError: () => {
      throw new AppError(
        'request.too_large',
        `The request body is larger than ${options.bodyLimitBytes} bytes.`,
      );
    },
  });
  // Chat requests carry their own, larger limit on their route.
  app.use('/api/*', (c, next) => (options.ownBodyLimit.test(c.req.path) ? next() : limitBody(c, next)));
  app.use('/api/*', csrfGuard(options.allowedOrigins, /^\/api\/agent\/register$/));
  for (const middleware of options.apiMiddleware) app.use('/api/*', middleware);
  for (const module of options.modules) app.route('/', module);

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Claw Cloud API',
      version: '0.1.0',
      description:
        'State-changing requests need `Content-Type: application/json` and an `Origin` header naming the dashboard origin.',
    },
  });
  app.all('/api/*', () => {
    throw new AppError('not_found', 'No such API route.');
  });

  // The dashboard: built files, and index.html for the client-side routes.
  if (existsSync(join(options.webDir, 'index.html'))) {
    app.use('/*', serveStatic({ root: options.webDir }));
    app.get('/*', serveStatic({ path: join(options.webDir, 'index.html') }));
  } else {
    log.warn({ event: 'web.missing', path: options.webDir });
  }
  app.notFound((c) => c.json(errorBody(c, 'not_found', 'Not found.'), 404));
  app.onError(createErrorHandler(log));
  return app;
}
