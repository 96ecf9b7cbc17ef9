// The DigitalOcean OAuth flow against a real OAuth 2 authorization server (oauth2-mock-server) on loopback.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { MutableResponse } from 'oauth2-mock-server';
import { OAuth2Server } from 'oauth2-mock-server';
import { isProviderError } from '../provider-error.ts';
import { buildAuthorizeUrl, exchangeCode, refresh } from './oauth.ts';
import type { OAuthClientConfig } from './oauth.ts';
import { requiredDigitalOceanScopes } from './permissions.ts';

const CLIENT_SECRET = 'client-secret-canary-7f3a9c';
const STATE = 'Zb1uG0r3x9Qw8e7R6t5Y4u3I';

describe('DigitalOcean OAuth (authorization code)', () => {
  const server = new OAuth2Server();
  let config: OAuthClientConfig;
  const tokenRequests: Array<Record<string, string>> = [];
  let nextResponse: ((res: MutableResponse) => void) | undefined;

  before(async () => {
    await server.issuer.keys.generate('RS256');
    await server.start(0, '127.0.0.1');
    config = {
      clientId: 'claw-cloud-test',
      clientSecret: CLIENT_SECRET,
      redirectUri: 'http://127.0.0.1:9/oauth/digitalocean/callback',
      tokenUrl: `${server.issuer.url}/token`,
      now: () => Date.parse('2026-11-29T12:00:00Z'),
    };
    server.service.on('beforeResponse', (res: MutableResponse, req: IncomingMessage & { body: never }) => {
      tokenRequests.push(req.body);
      // DigitalOcean adds the account to the token response.
      (res.body as Record<string, unknown>).info = {
        uuid: 'acc-uuid-1',
        email: 'sammy@example.com',
        name: 'Sammy',
      };
      nextResponse?.(res);
      nextResponse = undefined;
    });
  });
  after(() => server.stop());

  async function authorize(): Promise<URL> {
    const url = buildAuthorizeUrl({
      clientId: config.clientId,
      redirectUri: config.redirectUri,
      state: STATE,
      scopes: requiredDigitalOceanScopes(),
      authorizeUrl: `${server.issuer.url}/authorize`,
    });
    const res = await fetch(url, { redirect: 'manual' });
    assert.equal(res.status, 302);
    return new URL(res.headers.get('location') ?? '');
  }

  test('authorize redirects back with a code and our state; the code buys tokens', async () => {
    const callback = await authorize();
    assert.equal(callback.searchParams.get('state'), STATE);
    const code = callback.searchParams.get('code') ?? '';
    const tokens = await exchangeCode({ code }, config);
    assert.ok(tokens.accessToken.length > 20);
    assert.ok(tokens.refreshToken.length > 20);
    assert.equal(tokens.expiresAt.getTime(), Date.parse('2026-11-29T12:00:00Z') + 3600 * 1000);
    assert.deepEqual(tokens.account, { id: 'acc-uuid-1', email: 'sammy@example.com', name: 'Sammy' });
    const sent = tokenRequests.at(-1);
    assert.equal(sent?.grant_type, 'authorization_code');
    assert.equal(sent?.code, code);
    assert.equal(sent?.redirect_uri, config.redirectUri);
    assert.equal(sent?.client_secret, CLIENT_SECRET);
  });

  test('refresh exchanges the refresh token for new tokens', async () => {
    const first = await exchangeCode({ code: (await authorize()).searchParams.get('code') ?? '' }, config);
    const second = await refresh({ refreshToken: first.refreshToken }, config);
    assert.equal(tokenRequests.at(-1)?.grant_type, 'refresh_token');
    assert.equal(tokenRequests.at(-1)?.refresh_token, first.refreshToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
  });

  test('a refused grant is a non-retryable ProviderError that leaks neither secret nor code', async () => {
    const code = 'code-canary-b81f';
    nextResponse = (res) => {
      res.statusCode = 400;
      res.body = { error: 'invalid_grant', error_description: `code ${code} invalid for ${CLIENT_SECRET}` };
    };
    await assert.rejects(exchangeCode({ code }, config), (err: unknown) => {
      assert.ok(isProviderError(err));
      assert.equal(err.code, 'invalid_grant');
      assert.equal(err.retryable, false);
      assert.ok(!err.message.includes(CLIENT_SECRET) && !err.message.includes(code), err.message);
      return true;
    });
  });

  test('a token response without a refresh token is refused', async () => {
    nextResponse = (res) => {
      delete (res.body as Record<string, unknown>).refresh_token;
    };
    await assert.rejects(exchangeCode({ code: 'x' }, config), /refresh_token/);
  });
});

test('buildAuthorizeUrl refuses weak state, empty scopes and clear-text redirects', () => {
  const base = {
    clientId: 'c',
    redirectUri: 'https://claw.example/cb',
    state: STATE,
    scopes: ['account:read'],
  };
  assert.throws(() => buildAuthorizeUrl({ ...base, state: 'short' }), /state/);
  assert.throws(() => buildAuthorizeUrl({ ...base, scopes: [] }), /scopes/);
  assert.throws(() => buildAuthorizeUrl({ ...base, redirectUri: 'http://claw.example/cb' }), /https/);
  const url = new URL(buildAuthorizeUrl(base));
  assert.equal(url.origin + url.pathname, 'https://cloud.digitalocean.com/v1/oauth/authorize');
  assert.equal(url.searchParams.get('response_type'), 'code');
  assert.equal(url.searchParams.get('scope'), 'account:read');
});
