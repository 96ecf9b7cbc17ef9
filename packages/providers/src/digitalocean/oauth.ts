// DigitalOcean OAuth, authorization-code flow (RFC 6749 §4.1; DigitalOcean "OAuth Web Application Flow").
// The caller keeps `state` in the user's session and compares it on the callback; we only build and exchange.
import type { HttpDeps } from '../http.ts';
import { createHttp } from '../http.ts';
import { ProviderError } from '../provider-error.ts';
import type { VerifiedAccount } from '../verify-result.ts';

export const DIGITALOCEAN_OAUTH_AUTHORIZE_URL = 'https://cloud.digitalocean.com/v1/oauth/authorize';
export const DIGITALOCEAN_OAUTH_TOKEN_URL = 'https://cloud.digitalocean.com/v1/oauth/token';

// ≥ 128 bits of state, e.g. 22 base64url characters (RFC 6749 §10.12: CSRF protection needs unguessable state).
const MIN_STATE_LENGTH = 22;

export type AuthorizeUrlInput = {
  clientId: string;
  redirectUri: string;
  /** Unguessable, bound to the user's session; at least 22 characters. */
  state: string;
  /** Usually `requiredDigitalOceanScopes()`; sent space-separated (RFC 6749 §3.3). */
  scopes: readonly string[];
  /** Defaults to DigitalOcean's; tests pass a loopback authorization server. */
  authorizeUrl?: string;
};

export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  if (input.state.length < MIN_STATE_LENGTH) {
    throw new Error(`OAuth state must be at least ${MIN_STATE_LENGTH} random characters`);
  }
  if (input.scopes.length === 0) throw new Error('OAuth scopes must not be empty');
  assertSafeRedirect(input.redirectUri);
  const url = new URL(input.authorizeUrl ?? DIGITALOCEAN_OAUTH_AUTHORIZE_URL);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('redirect_uri', input.redirectUri);
  url.searchParams.set('scope', input.scopes.join(' '));
  url.searchParams.set('state', input.state);
  return url.toString();
}

/** https only, except loopback for development (RFC 8252 §7.3): a code must never travel in clear. */
function assertSafeRedirect(redirectUri: string): void {
  const url = new URL(redirectUri);
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('OAuth redirect URI must use https (http only on loopback)');
  }
}

export type OAuthClientConfig = HttpDeps & {
  clientId: string;
  /** SECRET: the OAuth application's client secret, from the server's configuration. */
  clientSecret: string;
  redirectUri: string;
  /** `DIGITALOCEAN_OAUTH_TOKEN_URL` in production; tests pass a loopback authorization server. */
  tokenUrl: string;
};

export type DigitalOceanOAuthTokens = {
  /** SECRET: a bearer token for the API (30 days at DigitalOcean). Store it encrypted or not at all. */
  accessToken: string;
  /** SECRET: lets whoever holds it mint new access tokens. The caller MUST store it encrypted (vault). */
  refreshToken: string;
  expiresAt: Date;
  /** What the user actually granted; may be less than what we asked. */
  scopes: string[];
  /** DigitalOcean returns `info: { uuid, email, name }` with the tokens. */
  account: VerifiedAccount;
};

type TokenBody = {
  access_token?: unknown;
  refresh_token?: unknown;
  token_type?: unknown;
  expires_in?: unknown;
  scope?: unknown;
  info?: { uuid?: string; email?: string; name?: string };
};

export function exchangeCode(
  input: { code: string },
  config: OAuthClientConfig,
): Promise<DigitalOceanOAuthTokens> {
  return tokenRequest('oauth.exchangeCode', config, [input.code], {
    grant_type: 'authorization_code',
    code: input.code,
    redirect_uri: config.redirectUri,
  });
}

export function refresh(
  input: { refreshToken: string },
  config: OAuthClientConfig,
): Promise<DigitalOceanOAuthTokens> {
  return tokenRequest('oauth.refresh', config, [input.refreshToken], {
    grant_type: 'refresh_token',
    refresh_token: input.refreshToken,
  });
}

async function tokenRequest(
  operation: string,
  config: OAuthClientConfig,
  secrets: string[],
  form: Record<string, string>,
): Promise<DigitalOceanOAuthTokens> {
  const http = createHttp({
    ...config,
    provider: 'digitalocean',
    baseUrl: config.tokenUrl,
    secrets: [config.clientSecret, ...secrets],
    // RFC 6749 §5.2 error response.
    parseError: (body) => {
      const b = body as { error?: unknown; error_description?: unknown } | null;
      return {
        code: typeof b?.error === 'string' ? b.error : undefined,
        message: typeof b?.error_description === 'string' ? b.error_description : undefined,
      };
    },
  });
  // Client authentication in the body (client_secret_post), as DigitalOcean documents it.
  const res = await http.request<TokenBody>({
    operation,
    method: 'POST',
    path: '',
    form: { ...form, client_id: config.clientId, client_secret: config.clientSecret },
  });
  const body = res.body ?? {};
  const now = (config.now ?? Date.now)();
  if (
    typeof body.access_token !== 'string' ||
    typeof body.refresh_token !== 'string' ||
    typeof body.expires_in !== 'number' ||
    String(body.token_type).toLowerCase() !== 'bearer'
  ) {
    throw new ProviderError('token response lacks access_token, refresh_token, expires_in or bearer type', {
      provider: 'digitalocean',
      operation,
      retryable: false,
      status: res.status,
    });
  }
  return {
    accessToken: body.access_token,
    refreshToken: body.refresh_token,
    expiresAt: new Date(now + body.expires_in * 1000),
    scopes: typeof body.scope === 'string' ? body.scope.split(' ').filter(Boolean) : [],
    account: { id: body.info?.uuid, email: body.info?.email, name: body.info?.name },
  };
}
