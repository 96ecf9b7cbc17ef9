import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { AppError } from '@claw/core';
import {
  cloudFormationTemplate,
  HETZNER_TOKEN_PERMISSION,
  permissionPolicy,
  requiredDigitalOceanScopes,
  trustPolicy,
  type VerifyResult,
} from '@claw/providers';
import type { PasswordConfirmation } from '../auth/confirm-password.ts';
import type { CloudEndpoints } from '../config.ts';
import type { ProtectedKeys } from '../keys/protected-keys.ts';
import { errorResponses, jsonBody, jsonResponse } from '../http/api-schemas.ts';
import { auditContext, type AppEnv } from '../http/context.ts';
import { requireSession } from '../http/session-cookie.ts';
import { validationHook } from '../http/validation.ts';
import type { CredentialRow, CredentialService } from './credential-service.ts';
import { NewCredential, toSecret } from './credential-secret.ts';
import { requireRecentAuthentication } from './step-up.ts';

const Credential = z
  .object({
    id: z.uuid(),
    provider: z.string(),
    label: z.string(),
    last4: z.string().nullable(),
    passwordProtected: z.boolean(),
    verification: z.object({
      status: z.enum(['verified', 'failed', 'unverified']),
      reason: z.string().nullable(),
      at: z.iso.datetime().nullable(),
    }),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .openapi('Credential');

// Never the ciphertext, never the secret: after submission a credential is only ever described.
const toCredential = (row: CredentialRow): z.infer<typeof Credential> => ({
  id: row.id,
  provider: row.provider,
  label: row.label,
  last4: row.last4,
  passwordProtected: row.passwordProtected,
  verification: {
    status: row.verificationStatus as 'verified',
    reason: row.verificationReason,
    at: row.verifiedAt?.toISOString() ?? null,
  },
  createdAt: row.createdAt.toISOString(),
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
});

const IdParam = z.object({ id: z.uuid() });

function describeVerification(row: CredentialRow, result: VerifyResult) {
  return {
    credential: toCredential(row),
    ...(!result.ok && result.missing ? { missing: result.missing } : {}),
    ...(result.ok && result.unverified ? { unverified: result.unverified } : {}),
  };
}
const VerificationResult = z.object({
  credential: Credential,
  missing: z.array(z.string()).optional(),
  unverified: z.array(z.string()).optional(),
});

export type CredentialRoutesDeps = {
  credentials: CredentialService;
  clouds: CloudEndpoints;
  stepUpMs: number;
  confirmPassword: PasswordConfirmation;
  protectedKeys: ProtectedKeys;
};

export function createCredentialRoutes(deps: CredentialRoutesDeps) {
  const { credentials, clouds } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/credentials',
      tags: ['credentials'],
      summary: "The signed-in user's cloud connections (never their secrets)",
      responses: {
        200: jsonResponse(z.object({ credentials: z.array(Credential) }), 'Connections'),
        ...errorResponses,
      },
    }),
    async (c) =>
      c.json({ credentials: (await credentials.list(requireSession(c).user.id)).map(toCredential) }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/api/credentials/setup',
      tags: ['credentials'],
      summary:
        'What each provider needs: DigitalOcean scopes, the AWS role policies with this user’s ExternalId, …',
      responses: {
        200: jsonResponse(
          z.object({
            digitalocean: z.object({ scopes: z.array(z.string()), oauth: z.boolean() }),
            hetzner: z.object({ permission: z.string() }),
            aws: z.union([
              z.object({
                available: z.literal(true),
                externalId: z.string(),
                principalArn: z.string(),
                trustPolicy: z.unknown(),
                permissionPolicy: z.unknown(),
                cloudFormationTemplate: z.unknown(),
              }),
              z.object({ available: z.literal(false) }),
            ]),
          }),
          'Setup details',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      const principal = clouds.aws.principalArn;
      const aws = principal
        ? {
            available: true as const,
            externalId: await credentials.externalIdFor(session.user.id),
            principalArn: principal,
            permissionPolicy: permissionPolicy(),
            cloudFormationTemplate: cloudFormationTemplate({ platformPrincipalArn: principal }),
          }
        : { available: false as const };
      return c.json(
        {
          digitalocean: { scopes: requiredDigitalOceanScopes(), oauth: !!clouds.digitalOceanOAuth },
          hetzner: { permission: HETZNER_TOKEN_PERMISSION },
          aws: aws.available
            ? {
                ...aws,
                trustPolicy: trustPolicy({
                  platformPrincipalArn: aws.principalArn,
                  externalId: aws.externalId,
                }),
              }
            : aws,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/credentials',
      tags: ['credentials'],
      summary:
        'Connect a cloud account; stored encrypted even when verification fails (marked with the reason)',
      request: { body: jsonBody(NewCredential) },
      responses: {
        201: jsonResponse(VerificationResult, 'Stored, with the verification result'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const session = requireSession(c);
      requireRecentAuthentication(session, deps.stepUpMs);
      const input = c.req.valid('json');
      if (input.provider === 'aws' && !clouds.aws.principalArn) {
        throw new AppError('credential.unavailable', 'AWS connections are not enabled on this Claw Cloud.', {
          field: 'provider',
        });
      }
      if (input.passwordProtected) {
        if (!input.password)
          throw new AppError('request.invalid', 'password: required to protect a credential', {
            field: 'password',
          });
        await deps.confirmPassword(c, input.password);
        await deps.protectedKeys.ensure(
          { tokenHash: session.tokenHash, userId: session.user.id, expiresAt: session.expiresAt },
          input.password,
        );
      }
      const { row, result } = await credentials.add(
        session,
        { label: input.label, secret: toSecret(input), passwordProtected: input.passwordProtected },
        auditContext(c),
      );
      return c.json(describeVerification(row, result), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/api/credentials/{id}/verify',
      tags: ['credentials'],
      summary: 'Verify a connection again, now',
      request: { params: IdParam },
      responses: { 200: jsonResponse(VerificationResult, 'The verification result'), ...errorResponses },
    }),
    async (c) => {
      const { row, result } = await credentials.verify(
        requireSession(c),
        c.req.valid('param').id,
        auditContext(c),
      );
      return c.json(describeVerification(row, result), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/api/credentials/{id}',
      tags: ['credentials'],
      summary: 'Delete a connection and its ciphertext',
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      const session = requireSession(c);
      requireRecentAuthentication(session, deps.stepUpMs);
      await credentials.remove(session.user.id, c.req.valid('param').id, auditContext(c));
      return c.body(null, 204);
    },
  );

  return app;
}
