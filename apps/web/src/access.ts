// Who may see which page. Kept apart from the components so the rules can be tested without a DOM.
import type { Location } from './router.ts';
import type { SessionState } from './session.tsx';

export const pageAccess = {
  '/': 'private',
  '/account': 'private',
  '/activity': 'private',
  '/login': 'signed-out-only',
  '/signup': 'signed-out-only',
  '/transparency': 'public',
} as const;

export type PagePath = keyof typeof pageAccess;

export function isPagePath(path: string): path is PagePath {
  return Object.hasOwn(pageAccess, path);
}

/** Where a visitor who may not see `location` goes instead, or null to show the page. */
export function redirectFor(location: Location, session: SessionState['status']): string | null {
  if (!isPagePath(location.path)) return null;
  const access = pageAccess[location.path];
  if (access === 'private' && session === 'signed-out') {
    return location.path === '/' ? '/login' : `/login?next=${encodeURIComponent(location.path)}`;
  }
  if (access === 'signed-out-only' && session === 'signed-in') {
    // Continue only to one of our own private pages, whatever the link said.
    const next = location.query.get('next') ?? '/';
    return isPagePath(next) && pageAccess[next] === 'private' ? next : '/';
  }
  return null;
}
