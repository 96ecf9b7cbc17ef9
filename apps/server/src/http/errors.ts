import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { AppError, httpStatusOf, type ErrorCode } from '@claw/core';
import { describeError, type Logger } from '@claw/logger';
import type { AppEnv } from './context.ts';

type ErrorBody = { error: { code: ErrorCode; message: string; requestId: string; field?: string } };

export function errorBody(c: Context<AppEnv>, code: ErrorCode, message: string, field?: string): ErrorBody {
  return { error: { code, message, requestId: c.get('requestId'), ...(field ? { field } : {}) } };
}

function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  // Hono's JSON validator throws this for a body that does not parse.
  if (error instanceof HTTPException && error.status === 400) {
    return new AppError('request.malformed_json', 'The request body is not valid JSON.');
  }
  return null;
}

/** The one place an error becomes a response; unknown errors are logged by shape and answered generically. */
export function createErrorHandler(log: Logger) {
  return (error: unknown, c: Context<AppEnv>) => {
    const known = toAppError(error);
    if (!known) {
      log.error({
        event: 'http.failed',
        requestId: c.get('requestId'),
        route: c.req.routePath,
        ...describeError(error),
      });
      return c.json(errorBody(c, 'internal', 'Something went wrong on our side.'), 500);
    }
    if (known.retryAfterSeconds !== undefined) c.header('Retry-After', String(known.retryAfterSeconds));
    const status = httpStatusOf(known.code) as 400;
    return c.json(errorBody(c, known.code, known.message, known.field), status);
  };
}
