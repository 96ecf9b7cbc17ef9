// A hash router: the server only has to serve index.html at "/", and a reload or a shared link
// ("/#/account") lands on the right page without any server-side fallback route.
import { useMemo, useSyncExternalStore } from 'react';

export type Location = { path: string; query: URLSearchParams };

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function currentHash(): string {
  return window.location.hash.slice(1);
}

export function parseLocation(hash: string): Location {
  const [path = '', search = ''] = hash.split('?', 2);
  return { path: path.startsWith('/') ? path : '/', query: new URLSearchParams(search) };
}

export function useLocation(): Location {
  const hash = useSyncExternalStore(subscribe, currentHash);
  return useMemo(() => parseLocation(hash), [hash]);
}

export function href(to: string): string {
  return `#${to}`;
}

export function navigate(to: string, { replace = false }: { replace?: boolean } = {}): void {
  if (replace) window.location.replace(href(to));
  else window.location.hash = to;
}
