/**
 * A fetch client that behaves like our dashboard in a browser: keeps the session cookie, sends
 * the same-origin Origin header and JSON bodies.
 */
export type HttpClient = ReturnType<typeof createHttpClient>;

export function createHttpClient(baseUrl: string, options: { origin?: string } = {}) {
  const origin = options.origin ?? new URL(baseUrl).origin;
  let cookie: string | undefined;

  async function request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(new URL(path, baseUrl), {
      method,
      // Redirects are answers to assert on, as a browser's address bar would show them.
      redirect: 'manual',
      headers: {
        ...(method === 'GET' ? {} : { origin, 'content-type': 'application/json' }),
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
      body:
        body === undefined
          ? method === 'GET'
            ? undefined
            : '{}'
          : typeof body === 'string'
            ? body
            : JSON.stringify(body),
    });
    const setCookie = response.headers.get('set-cookie');
    if (setCookie) {
      const [pair = ''] = setCookie.split(';');
      cookie = pair.endsWith('=') ? undefined : pair;
    }
    const text = await response.text();
    const json =
      text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : undefined;
    return { status: response.status, headers: response.headers, json, text };
  }

  return {
    get: (path: string, headers?: Record<string, string>) => request('GET', path, undefined, headers),
    post: (path: string, body?: unknown, headers?: Record<string, string>) =>
      request('POST', path, body, headers),
    delete: (path: string, body?: unknown, headers?: Record<string, string>) =>
      request('DELETE', path, body, headers),
    request,
    get cookie() {
      return cookie;
    },
    set cookie(value: string | undefined) {
      cookie = value;
    },
  };
}
