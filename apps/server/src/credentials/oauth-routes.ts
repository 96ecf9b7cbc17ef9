import { createHash, randomBytes } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { AppError } from '@claw/core';
import { schema, type Db } from '@claw/db';
import {
  buildAuthorizeUrl,
  DIGITALOCEAN_OAUTH_TOKEN_URL,
  exchangeCode,
  requiredDigitalOceanScopes,
} from '@claw/providers';
import type { CloudEndpoints } from '../config.ts';
import { errorResponses, jsonBody, jsonResponse } from '../http/api-schemas.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import { requireSession } from '../http/session-cookie.ts';
import { validationHook } from '../http/validation.ts';
import type { CredentialService } from './credential-service.ts';
import { requireRecentAuthentication } from './step-up.ts';

const { oauthStates } = schema;
const stateTtlMs = 10 * 60_000;
const callbackPath = '/api/credentials/digitalocean/oauth/callback';
const hash = (state: string) => createHash('sha256').update(state).digest();

/**
 * DigitalOcean's OAuth authorization-code flow (RFC 6749 §4.1). The `state` is bound to the user who
 * started it and spent on return; the tokens, refresh token included, are stored only as vault ciphertext.
 */
export function createDigitalOceanOAuthRoutes(deps: {
  db: Db;
  credentials: CredentialService;
  clouds: CloudEndpoints;
  stepUpMs: number;
  publicUrl: string | undefined;
}) {
  const { db, credentials } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const oauth = () => {
    const config = deps.clouds.digitalOceanOAuth;
    if (!config)
      throw new AppError(
        'credential.unavailable',
        'DigitalOcean OAuth is not configured on this Claw Cloud.',
      );
    return config;
  };

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/credentials/digitalocean/oauth',
      tags: ['credentials'],
      summary: "Start connecting DigitalOcean with OAuth; answers the provider's authorisation URL to open",
      request: { body: jsonBody(z.object({ label: z.string().trim().min(1).max(100) })) },
      responses: {
        201: jsonResponse(z.object({ authorizeUrl: z.url() }), 'Where to send the browser'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      requireRecentAuthentication(session, deps.stepUpMs);
      const config = oauth();
      const state = randomBytes(32).toString('base64url');
      await db.insert(oauthStates).values({
        stateHash: hash(state),
        userId: session.user.id,
        provider: 'digitalocean',
        label: c.req.valid('json').label,
        expiresAt: new Date(Date.now() + stateTtlMs),
      });
      const authorizeUrl = buildAuthorizeUrl({
        clientId: config.clientId,
        // The Origin was checked against our allowlist by the CSRF guard: it is the dashboard the user is on.
        redirectUri: `${deps.publicUrl ?? c.req.header('origin')}${callbackPath}`,
        state,
        scopes: requiredDigitalOceanScopes(),
        ...(config.authorizeUrl ? { authorizeUrl: config.authorizeUrl } : {}),
      });
      return c.json({ authorizeUrl }, 201);
    },
  );

  // The provider sends the browser back here (a top-level GET, so the SameSite=Lax session cookie comes along).
  app.get(callbackPath, async (c) => {
    const back = (query: string) => c.redirect(`/#/clouds?${query}`, 303);
    const session = c.get('session');
    const state = c.req.query('state') ?? '';
    const [pending] = state
      ? await db
          .delete(oauthStates)
          .where(eq(oauthStates.stateHash, hash(state)))
          .returning()
      : [];
    if (!session || !pending || pending.userId !== session.user.id || pending.expiresAt < new Date()) {
      return back('oauth=expired');
    }
    const code = c.req.query('code');
    if (!code) return back('oauth=denied');
    const config = oauth();
    const tokens = await exchangeCode(
      { code },
      {
        clientId: config.clientId,
        clientSecret: config.clientSecret,
        redirectUri: `${deps.publicUrl ?? new URL(c.req.url).origin}${callbackPath}`,
        tokenUrl: config.tokenUrl ?? DIGITALOCEAN_OAUTH_TOKEN_URL,
      },
    ).catch(() => null);
    if (!tokens) return back('oauth=failed');
    const { row } = await credentials.add(
      session,
      {
        label: pending.label,
        secret: {
          provider: 'digitalocean',
          kind: 'oauth',
          accessToken: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresAt: tokens.expiresAt.toISOString(),
        },
        passwordProtected: false,
      },
      auditContext(c),
    );
    return back(`connected=${row.id}`);
  });

  return app;
}
