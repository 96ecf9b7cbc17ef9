import { AppError } from '@claw/core';
import type { ActiveSession } from '../auth/session-service.ts';

/** Sensitive changes need a password proven recently in this session, not just a live cookie. */
export function requireRecentAuthentication(
  session: ActiveSession,
  windowMs: number,
  now = Date.now(),
): void {
  if (now - session.reauthenticatedAt.getTime() > windowMs) {
    throw new AppError('auth.reauthentication_required', 'Confirm your password to continue.');
  }
}
