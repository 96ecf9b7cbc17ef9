// Who may see which page. Kept apart from the components so the rules can be tested without a DOM.
import type { Location } from './router.ts';
import type { SessionState } from './session.tsx';

/** Paths, where a `:name` segment matches one non-empty segment of the address (`/instances/:id`). */
export const pageAccess = {
  '/': 'private',
  '/account': 'private',
  '/activity': 'private',
  '/clouds': 'private',
  '/deploy': 'private',
  '/instances/:id': 'private',
  '/login': 'signed-out-only',
  '/signup': 'signed-out-only',
  '/transparency': 'public',
} as const;

export type PagePath = keyof typeof pageAccess;

export type Route = { page: PagePath; params: Record<string, string> };

const patterns = Object.keys(pageAccess) as PagePath[];

/** The page an address shows and the values of its `:name` segments, or null when there is none. */
export function matchRoute(path: string): Route | null {
  const segments = path.split('/');
  for (const page of patterns) {
    const parts = page.split('/');
    if (parts.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = parts.every((part, index) => {
      const segment = segments[index] ?? '';
      if (!part.startsWith(':')) return part === segment;
      if (!segment) return false;
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
        return true;
      } catch {
        return false;
      }
    });
    if (matches) return { page, params };
  }
  return null;
}

/** Where a visitor who may not see `location` goes instead, or null to show the page. */
export function redirectFor(location: Location, session: SessionState['status']): string | null {
  const route = matchRoute(location.path);
  if (!route) return null;
  const access = pageAccess[route.page];
  if (access === 'private' && session === 'signed-out') {
    return location.path === '/' ? '/login' : `/login?next=${encodeURIComponent(location.path)}`;
  }
  if (access === 'signed-out-only' && session === 'signed-in') {
    // Continue only to one of our own private pages, whatever the link said.
    const next = location.query.get('next') ?? '/';
    const target = next.startsWith('/') ? matchRoute(next) : null;
    return target && pageAccess[target.page] === 'private' ? next : '/';
  }
  return null;
}
