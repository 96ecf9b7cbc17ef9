import type { Hook } from '@hono/zod-openapi';
import { AppError } from '@claw/core';
import type { AppEnv } from './context.ts';

/** A request that fails its schema is answered 400 naming the first field at fault, never echoing its value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- applies to every route's input type
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'body';
  throw new AppError('request.invalid', `${field}: ${issue?.message ?? 'invalid'}`, { field });
};
