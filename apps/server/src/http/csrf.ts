import type { MiddlewareHandler } from 'hono';
import { AppError } from '@claw/core';
import type { AppEnv } from './context.ts';

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Every state-changing API request must come from one of our origins and carry JSON. SameSite
 * cookies are the first line; this check is the second, and it also covers browsers or
 * configurations where SameSite does not hold. Scripts send `Origin: <our origin>` and a JSON body.
 */
export function csrfGuard(
  allowedOrigins: () => ReadonlySet<string>,
  /** Machine-to-machine endpoints that carry their own proof instead of a cookie (a one-time code). */
  exempt: RegExp,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (safeMethods.has(c.req.method) || exempt.test(c.req.path)) return next();
    const origin = c.req.header('origin');
    const fetchSite = c.req.header('sec-fetch-site');
    if (fetchSite && fetchSite !== 'same-origin') {
      throw new AppError('csrf.rejected', 'Cross-site requests are not allowed.');
    }
    if (!origin || !allowedOrigins().has(origin)) {
      throw new AppError(
        'csrf.rejected',
        'The request must come from the Claw Cloud dashboard (Origin header).',
      );
    }
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new AppError(
        'request.unsupported_media_type',
        'Send a JSON body with Content-Type: application/json.',
      );
    }
    return next();
  };
}
